// The wrappers are all in the header; a C target needs one source file.
#include "csqlite.h"
