"""Where the project lives: the repository, and the two prefixes of a link to one of its
files. The README links to files with these prefixes (PyPI shows it away from the
repository); the documentation site turns exactly these into links to its own pages, so a
link with any other prefix (a ``tree/`` folder) would stay a link to GitHub there."""

REPOSITORY = "https://github.com/handgrad/handgrad"
BLOB_PREFIX = f"{REPOSITORY}/blob/main/"  # a file, shown by GitHub (a page, a notebook)
RAW_PREFIX = (
    "https://raw.githubusercontent.com/handgrad/handgrad/main/"  # a file's bytes (an image)
)
FILE_PREFIXES = (BLOB_PREFIX, RAW_PREFIX)
