project = 'cellv2-conformance'
extensions = []
master_doc = 'index'
exclude_patterns = []
html_theme = 'alabaster'
