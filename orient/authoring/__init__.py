"""Tools for the people who write and review the rules: the ``orient`` command line, the importer
of reference data, and the coverage report."""
