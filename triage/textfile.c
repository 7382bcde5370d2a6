/* textfile.c - read a whole, bounded file. */
#include "triage/textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

jf_err jf_triage_read_file(const char *path, size_t max, char **data, size_t *len, char *errbuf,
                           size_t errsz)
{
    jf_err err = JF_ERR_IO;
    int fd = -1;
    char *buf = NULL;
    size_t have = 0;
    struct stat st;

    *data = NULL;
    *len = 0;
    if (errsz)
        errbuf[0] = '\0';
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errsz)
            snprintf(errbuf, errsz, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (errsz)
            snprintf(errbuf, errsz, "%s is not a regular file", path);
        goto out;
    }
    if ((unsigned long long)st.st_size > max) {
        err = JF_ERR_TOOBIG;
        if (errsz)
            snprintf(errbuf, errsz, "%s is larger than %zu bytes", path, max);
        goto out;
    }
    err = JF_ERR_NOMEM;
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        goto out;
    /* Read until end of file rather than trusting st_size: the file may change under us,
     * and the bound is enforced on what is actually read. */
    for (;;) {
        size_t room = (size_t)st.st_size - have;
        if (room == 0) {
            char extra;
            ssize_t r = read(fd, &extra, 1);
            if (r == 0)
                break;
            err = r < 0 ? JF_ERR_IO : JF_ERR_TOOBIG;
            if (errsz)
                snprintf(errbuf, errsz, "%s changed while it was read", path);
            goto out;
        }
        ssize_t r = read(fd, buf + have, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = JF_ERR_IO;
            if (errsz)
                snprintf(errbuf, errsz, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        have += (size_t)r;
    }
    buf[have] = '\0';
    *data = buf;
    *len = have;
    buf = NULL;
    err = JF_ERR_OK;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return err;
}
