"""救助助手 FAQ: a cited knowledge base and a search that understands how people type.

    >>> import faq
    >>> r = faq.search("吃底保的住院能报多少", region="guangxi")
    >>> r.confident, r.hits[0].id
"""

from .kb import Entry, KBError, cites_for, load_entries, load_file
from .misses import list_misses, log_miss
from .search import Hit, Index, SearchResult, build_index, load_index, search, search_many

__all__ = [
    "Entry",
    "Hit",
    "Index",
    "KBError",
    "SearchResult",
    "build_index",
    "cites_for",
    "list_misses",
    "load_entries",
    "load_file",
    "load_index",
    "log_miss",
    "search",
    "search_many",
]
