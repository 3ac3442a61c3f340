"""Tools around the pipeline: replay, bench and run bookkeeping. They import streams/, never the reverse."""
