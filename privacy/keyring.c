/* keyring.c - loading, generating and looking up the keys of a jianfu key file. */
#include "privacy/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/crypto.h"

/* A real key file is a few hundred bytes; the bounds only stop a wrong path (a log, a
 * device, a huge file) from being slurped into memory. */
#define KEYFILE_MAX (64 * 1024)
#define KEYFILE_LINE_MAX 1024
#define KEYFILE_MAGIC "jianfu-keyfile"
#define KEYFILE_VERSION "1"
/* One more field than any valid line has, so that a line with too many is detected. */
#define KEYFILE_FIELDS_MAX 4
/* base64 of 32 bytes is 44 characters; anything decoding to more than this buffer is
 * reported as a wrong key length, not parsed further. */
#define KEY_DECODE_MAX 64
/* Room for the whole generated file: a header, a comment and two key lines. */
#define KEYGEN_TEXT_MAX 4096

struct jf_keyring {
    jf_key pseudonym;
    bool have_pseudonym;
    jf_key seal[JF_KEYRING_MAX_SEAL_KEYS];
    size_t nseal; /* the active key is seal[nseal - 1] */
};

typedef struct {
    const char *p;
    size_t len;
} field;

static void set_err(char *errbuf, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write a reason for the operator into errbuf. Callers pass only the path, line numbers
 * and key ids here, never a field that could be key material. */
static void set_err(char *errbuf, size_t errsz, const char *fmt, ...)
{
    if (!errbuf || errsz == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errsz, fmt, ap);
    va_end(ap);
}

static bool field_is(const field *f, const char *s)
{
    size_t n = strlen(s);
    return f->len == n && memcmp(f->p, s, n) == 0;
}

/* Key ids end up in database rows and in the AAD of sealed addresses, so they are kept
 * to a short, boring alphabet that needs no quoting anywhere. */
static bool key_id_valid(const char *p, size_t n)
{
    static const char extra[] = "_-";
    if (n == 0 || n > JF_KEY_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (c == '\0' || !strchr(extra, c)))
            return false;
    }
    return true;
}

/* Split a comment-free line on blanks into at most KEYFILE_FIELDS_MAX fields; returns
 * the number found (KEYFILE_FIELDS_MAX meaning "that many or more"). */
static size_t split_fields(const char *p, size_t n, field *f)
{
    size_t nf = 0;
    size_t i = 0;
    while (i < n && nf < KEYFILE_FIELDS_MAX) {
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && p[i] != ' ' && p[i] != '\t')
            i++;
        f[nf].p = p + start;
        f[nf].len = i - start;
        nf++;
    }
    return nf;
}

typedef jf_err (*add_fn)(jf_keyring *kr, const jf_key *key, unsigned line, char *errbuf,
                         size_t errsz);

static jf_err add_pseudonym(jf_keyring *kr, const jf_key *key, unsigned line, char *errbuf,
                            size_t errsz)
{
    /* A second pseudonym key has no meaning: reporter keys cannot be computed under two
     * keys at once, and silently picking one would unlink reporters. */
    if (kr->have_pseudonym) {
        set_err(errbuf, errsz, "line %u: more than one pseudonym key", line);
        return JF_ERR_CONFIG;
    }
    kr->pseudonym = *key;
    kr->have_pseudonym = true;
    return JF_ERR_OK;
}

static jf_err add_seal(jf_keyring *kr, const jf_key *key, unsigned line, char *errbuf,
                       size_t errsz)
{
    for (size_t i = 0; i < kr->nseal; i++) {
        if (strcmp(kr->seal[i].id, key->id) == 0) {
            /* The id is not secret: it is stored next to every sealed address. */
            set_err(errbuf, errsz, "line %u: duplicate seal key id '%s'", line, key->id);
            return JF_ERR_CONFIG;
        }
    }
    if (kr->nseal == JF_KEYRING_MAX_SEAL_KEYS) {
        set_err(errbuf, errsz, "line %u: more than %d seal keys", line,
                JF_KEYRING_MAX_SEAL_KEYS);
        return JF_ERR_CONFIG;
    }
    kr->seal[kr->nseal++] = *key;
    return JF_ERR_OK;
}

static const struct {
    const char *name;
    add_fn add;
} key_kinds[] = {
    {"pseudonym", add_pseudonym},
    {"seal", add_seal},
};

/* Parse one "<kind> <key-id> <base64>" line into kr. */
static jf_err parse_key_line(jf_keyring *kr, const field *f, size_t nf, unsigned line,
                             char *errbuf, size_t errsz)
{
    jf_err err = JF_ERR_CONFIG;
    jf_key key;
    uint8_t raw[KEY_DECODE_MAX];
    size_t rawlen = 0;
    add_fn add = NULL;

    memset(&key, 0, sizeof key);
    for (size_t i = 0; i < sizeof key_kinds / sizeof key_kinds[0]; i++)
        if (field_is(&f[0], key_kinds[i].name))
            add = key_kinds[i].add;
    if (!add) {
        /* The unknown word is not echoed: a stray line may well be a pasted key. */
        set_err(errbuf, errsz, "line %u: unknown entry (expected 'pseudonym' or 'seal')", line);
        goto out;
    }
    if (nf != 3) {
        set_err(errbuf, errsz, "line %u: expected '<pseudonym|seal> <key-id> <base64 key>'",
                line);
        goto out;
    }
    if (!key_id_valid(f[1].p, f[1].len)) {
        set_err(errbuf, errsz, "line %u: key id must be 1-%d characters of A-Z a-z 0-9 _ -",
                line, JF_KEY_ID_MAX);
        goto out;
    }
    memcpy(key.id, f[1].p, f[1].len);
    key.id[f[1].len] = '\0';

    jf_err derr = jf_crypto_base64_decode(f[2].p, f[2].len, raw, sizeof raw, &rawlen);
    if (derr == JF_ERR_TOOBIG || (derr == JF_ERR_OK && rawlen != JF_KEY_LEN)) {
        set_err(errbuf, errsz, "line %u: key '%s' must be base64 of exactly %d bytes", line,
                key.id, JF_KEY_LEN);
        goto out;
    }
    if (derr != JF_ERR_OK) {
        set_err(errbuf, errsz, "line %u: key '%s' is not valid base64", line, key.id);
        goto out;
    }
    memcpy(key.key, raw, JF_KEY_LEN);
    err = add(kr, &key, line, errbuf, errsz);
out:
    jf_crypto_zeroize(raw, sizeof raw);
    jf_crypto_zeroize(&key, sizeof key);
    return err;
}

/* Parse the whole file text (n bytes, no NUL inside) into kr. */
static jf_err parse_keyfile(jf_keyring *kr, const char *text, size_t n, char *errbuf,
                            size_t errsz)
{
    bool header = false;
    unsigned line = 0;
    size_t pos = 0;

    while (pos < n) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - start) : n - pos;
        pos += len + (nl ? 1 : 0);
        line++;

        if (len > KEYFILE_LINE_MAX) {
            set_err(errbuf, errsz, "line %u is longer than %d bytes", line, KEYFILE_LINE_MAX);
            return JF_ERR_CONFIG;
        }
        if (len > 0 && start[len - 1] == '\r')
            len--;
        const char *hash = memchr(start, '#', len);
        if (hash)
            len = (size_t)(hash - start);

        field f[KEYFILE_FIELDS_MAX];
        size_t nf = split_fields(start, len, f);
        if (nf == 0)
            continue;

        if (!header) {
            /* The header comes first so that a file of another format or a future
             * version is refused as a whole rather than half understood. */
            if (!field_is(&f[0], KEYFILE_MAGIC)) {
                set_err(errbuf, errsz,
                        "line %u: expected '" KEYFILE_MAGIC " " KEYFILE_VERSION
                        "' as the first line; is this a jianfu key file?",
                        line);
                return JF_ERR_CONFIG;
            }
            if (nf != 2 || !field_is(&f[1], KEYFILE_VERSION)) {
                set_err(errbuf, errsz,
                        "line %u: unsupported key file version (this binary reads "
                        "version " KEYFILE_VERSION ")",
                        line);
                return JF_ERR_CONFIG;
            }
            header = true;
            continue;
        }
        jf_err err = parse_key_line(kr, f, nf, line, errbuf, errsz);
        if (err)
            return err;
    }

    if (!header) {
        set_err(errbuf, errsz,
                "the file is empty (expected '" KEYFILE_MAGIC " " KEYFILE_VERSION
                "' and key lines)");
        return JF_ERR_CONFIG;
    }
    if (!kr->have_pseudonym) {
        set_err(errbuf, errsz, "no pseudonym key");
        return JF_ERR_CONFIG;
    }
    if (kr->nseal == 0) {
        set_err(errbuf, errsz, "no seal key");
        return JF_ERR_CONFIG;
    }
    return JF_ERR_OK;
}

jf_err jf_privacy_keyring_load(const char *path, jf_keyring **out, char *errbuf, size_t errsz)
{
    jf_err err = JF_ERR_IO;
    int fd = -1;
    char *text = NULL;
    size_t n = 0;
    jf_keyring *kr = NULL;
    char reason[256];
    struct stat st;

    set_err(errbuf, errsz, "%s", "");
    reason[0] = '\0';
    if (!out || !path) {
        set_err(errbuf, errsz, "no key file path given");
        err = JF_ERR_INVAL;
        goto out;
    }
    *out = NULL;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        set_err(errbuf, errsz, "cannot open key file %s: %s", path, strerror(errno));
        goto out;
    }
    /* fstat on the open descriptor, so the checks apply to the file actually read. */
    if (fstat(fd, &st) != 0) {
        set_err(errbuf, errsz, "cannot stat key file %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(errbuf, errsz, "key file %s is not a regular file", path);
        err = JF_ERR_CONFIG;
        goto out;
    }
    /* A key file that others can read defeats the whole anonymity model (with it, any
     * local user can re-identify every reporter), so refuse to run rather than warn. */
    if (st.st_mode & 077) {
        set_err(errbuf, errsz, "key file %s is readable by group or others; run chmod 600 %s",
                path, path);
        err = JF_ERR_CONFIG;
        goto out;
    }
    if (st.st_size > KEYFILE_MAX) {
        set_err(errbuf, errsz, "key file %s is larger than %d bytes", path, KEYFILE_MAX);
        err = JF_ERR_CONFIG;
        goto out;
    }

    text = malloc(KEYFILE_MAX + 1);
    if (!text) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    /* Read one byte past the bound so that a file that grew after fstat is still caught. */
    while (n < KEYFILE_MAX + 1) {
        ssize_t r = read(fd, text + n, KEYFILE_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            set_err(errbuf, errsz, "cannot read key file %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > KEYFILE_MAX) {
        set_err(errbuf, errsz, "key file %s is larger than %d bytes", path, KEYFILE_MAX);
        err = JF_ERR_CONFIG;
        goto out;
    }
    if (memchr(text, '\0', n)) {
        set_err(errbuf, errsz, "key file %s is not a text file", path);
        err = JF_ERR_CONFIG;
        goto out;
    }

    kr = calloc(1, sizeof *kr);
    if (!kr) {
        err = JF_ERR_NOMEM;
        goto out;
    }
    err = parse_keyfile(kr, text, n, reason, sizeof reason);
    if (err) {
        set_err(errbuf, errsz, "key file %s: %s", path, reason);
        goto out;
    }
    *out = kr;
    kr = NULL;
    err = JF_ERR_OK;
out:
    if (fd >= 0)
        close(fd);
    if (text) {
        jf_crypto_zeroize(text, n);
        free(text);
    }
    jf_privacy_keyring_free(kr);
    return err;
}

void jf_privacy_keyring_free(jf_keyring *kr)
{
    if (!kr)
        return;
    jf_crypto_zeroize(kr, sizeof *kr);
    free(kr);
}

const jf_key *jf_privacy_keyring_pseudonym(const jf_keyring *kr)
{
    return &kr->pseudonym;
}

const jf_key *jf_privacy_keyring_seal_active(const jf_keyring *kr)
{
    return &kr->seal[kr->nseal - 1];
}

const jf_key *jf_privacy_keyring_seal_find(const jf_keyring *kr, const char *id)
{
    if (!kr || !id)
        return NULL;
    for (size_t i = 0; i < kr->nseal; i++)
        if (strcmp(kr->seal[i].id, id) == 0)
            return &kr->seal[i];
    return NULL;
}

/* write(2) all n bytes, resuming after partial writes and signals. */
static jf_err write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return JF_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return JF_ERR_OK;
}

/* Make the new directory entry durable too, so that a crash right after keygen cannot
 * lose a key file the operator believes exists. Best effort: some file systems refuse
 * fsync on a directory, and the file itself is already on disk by then. */
static void fsync_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n;

    if (!slash) {
        dir[0] = '.';
        n = 1;
    } else {
        n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
    }
    dir[n] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}

/* Append one "<kind> <id> <base64 of a fresh random key>" line to text. */
static jf_err append_new_key(jf_buf *text, const char *kind, const char *id)
{
    jf_err err;
    uint8_t key[JF_KEY_LEN];
    char b64[64];

    err = jf_crypto_random(key, sizeof key);
    if (err)
        goto out;
    err = jf_crypto_base64_encode(key, sizeof key, b64, sizeof b64, NULL);
    if (err)
        goto out;
    err = jf_buf_appendf(text, "%s %s %s\n", kind, id, b64);
out:
    jf_crypto_zeroize(key, sizeof key);
    jf_crypto_zeroize(b64, sizeof b64);
    return err;
}

jf_err jf_privacy_keygen(const char *path)
{
    jf_err err = JF_ERR_IO;
    int fd = -1;
    bool created = false;
    jf_buf text;
    char now[JF_RFC3339_LEN];

    jf_buf_init(&text, KEYGEN_TEXT_MAX);
    if (!path || !*path) {
        err = JF_ERR_INVAL;
        goto out;
    }
    /* O_EXCL: overwriting a key file would silently unlink every reporter from their
     * complaints and make every sealed address unreadable. O_NOFOLLOW: do not write the
     * keys through a symlink someone else planted. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = errno == EEXIST ? JF_ERR_EXISTS : JF_ERR_IO;
        goto out;
    }
    created = true;
    /* The umask can only have removed bits from 0600; set it exactly anyway so the file
     * is usable by its owner whatever the umask was. */
    if (fchmod(fd, 0600) != 0)
        goto out;

    jf_clock_format_cst(jf_clock_now(), now);
    err = jf_buf_appends(&text, KEYFILE_MAGIC " " KEYFILE_VERSION "\n");
    if (err)
        goto out;
    err = jf_buf_appendf(
        &text,
        "# jianfu key file, created %s by 'jianfu keygen'.\n"
        "#\n"
        "# These keys protect the anonymity of every reporter. Keep this file mode 0600,\n"
        "# readable only by the user jianfu runs as, and outside the database and its\n"
        "# backups: a database dump identifies no one only as long as this file stays apart\n"
        "# from it. Back it up separately and securely.\n"
        "#\n"
        "# pseudonym: HMAC-SHA256 key of reporter keys. Never change or remove it: a new one\n"
        "#   unlinks every reporter from their earlier complaints.\n"
        "# seal: AES-256-GCM keys of sealed reply addresses. To rotate, append a new line\n"
        "#   'seal <new-id> <base64 of 32 random bytes>'. The last seal line seals new\n"
        "#   addresses; keep the earlier lines until the addresses sealed under them have\n"
        "#   been deleted, or those reporters can no longer be answered.\n",
        now);
    if (err)
        goto out;
    err = append_new_key(&text, "pseudonym", "p1");
    if (err)
        goto out;
    err = append_new_key(&text, "seal", "s1");
    if (err)
        goto out;

    err = write_all(fd, text.data, text.len);
    if (err)
        goto out;
    err = JF_ERR_IO;
    if (fsync(fd) != 0)
        goto out;
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0)
        goto out;
    fsync_parent_dir(path);
    err = JF_ERR_OK;
out:
    if (fd >= 0)
        close(fd);
    /* Never leave a half-written key file behind: the next keygen would refuse to
     * overwrite it and a load might accept a truncated one. */
    if (err && created)
        unlink(path);
    jf_buf_free(&text);
    return err;
}
