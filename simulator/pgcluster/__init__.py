"""A PostgreSQL cluster owned by one drill: initdb, WAL archive, base backups,
point-in-time restore. Debian's binaries, its own port and directories, torn down
with the environment."""
