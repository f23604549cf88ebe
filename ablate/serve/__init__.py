"""A trained policy served to robots: openpi's websocket policy protocol (`protocol`, `server`) and the trials the
operator records through it (`recorder`)."""
