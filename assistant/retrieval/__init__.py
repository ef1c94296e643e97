"""Query in, ranked passages out: retrieval, fusion, threads between documents."""
