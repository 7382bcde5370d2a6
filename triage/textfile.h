/* textfile.h - reading a whole, bounded file (a corpus, a rules file, a model) into memory.
 *
 * The triage module reads its data files whole: they are small, and parsing a buffer is
 * simpler to bound than parsing a stream. A file larger than the caller's maximum is
 * refused before anything is read, so a wrong path (a device, a huge log) cannot exhaust
 * memory. Thread-safe.
 */
#ifndef JF_TRIAGE_TEXTFILE_H
#define JF_TRIAGE_TEXTFILE_H

#include <stddef.h>

#include "core/err.h"

/* jf_triage_read_file - *data receives the contents of the regular file at path plus a
 * terminating NUL (not counted in *len); the caller frees it with free(). JF_ERR_IO when
 * the file cannot be opened or read or is not a regular file, JF_ERR_TOOBIG when it holds
 * more than max bytes, JF_ERR_NOMEM; each with a message naming path and the reason in
 * errbuf (may be NULL when errsz is 0). On error *data is NULL. */
jf_err jf_triage_read_file(const char *path, size_t max, char **data, size_t *len, char *errbuf,
                           size_t errsz) JF_WUR;

#endif
