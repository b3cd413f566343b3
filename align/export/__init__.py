"""Output formats. Each renderer turns a :class:`ParallelDocument` into a string; writing is
the caller's (atomically, see :func:`sejajar.core.files.write_atomic`). Which format writes which
files with which renderer is said in one table, :data:`sejajar.jobs.formats.PAGE`."""
