"""The caseworker's desk (bangfu desk): a Flask application behind nginx, changing records through git plumbing."""
