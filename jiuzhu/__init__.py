"""jiuzhu: the command line and settings. A thin layer over `engine`, `bot`, `faq` and `web`."""
