"""Pairing source and target segments, flagging and writing the pairs (installed as
``sejajar.align``).

``pipeline`` turns a translated or aligned document into a parallel document; ``aligner`` (with
``features`` and ``beads``) pairs two documents; ``flags`` marks pairs for reviewers; ``export``
renders the formats (TSV, HTML workbench, beads, JSONL, TMX); ``review`` reads a review back.
"""
