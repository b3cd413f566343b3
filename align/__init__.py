"""Pairing source and target segments, and writing the pairs out.

``records`` holds the parallel-document dataclasses that both ``sejajar translate`` and the
aligner produce; ``export`` renders them (TSV, HTML). Nothing heavy is imported here.
"""
