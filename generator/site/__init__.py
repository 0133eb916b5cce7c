"""Render: the handbook (mkdocs) and the generated household and scope pages, in the page frame of the theme."""
