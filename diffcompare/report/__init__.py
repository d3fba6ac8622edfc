"""Records -> tables, figures, HTML/Markdown. The only package that writes files."""
