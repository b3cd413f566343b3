"""Jobs: whole runs over files, corpora and releases, each returning what it did for a front
end to report (where each module's job is: docs/architecture.md). A failure of one input is
recorded and the others go on; nothing here prints or exits."""
