#ifndef HOOKTOP_WAL_BUFFER_H
#define HOOKTOP_WAL_BUFFER_H
// Registers "hooktop-walbuf": the default VFS, except that a WAL's appends are
// gathered and written in one call when the commit frame is complete (or
// before anything else touches the file). Returns an SQLite result code.
int hooktop_walbuf_register(void);
#endif
