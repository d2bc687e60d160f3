"""The `policywarden` command line."""
