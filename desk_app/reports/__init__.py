"""Records as documents: Jinja2 templates (autoescaped) to HTML, for the screen, paper and PDF."""
