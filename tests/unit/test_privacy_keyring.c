/* test_privacy_keyring.c - key files: generation, permissions, parsing, rotation, and
 * error messages that never carry key material. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/crypto.h"
#include "privacy/keyring.h"

/* Base64 of 32 bytes 0x00.. 0x1f, 32 bytes 0x20..0x3f and 32 bytes 0x40..0x5f. */
#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define KEY_C "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
#define KEY_16 "AAECAwQFBgcICQoLDA0ODw=="                     /* 16 bytes */
#define KEY_33 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g" /* 33 bytes */
#define KEY_64                                                                                 \
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+"     \
    "Pw=="
#define KEY_96                                                                                 \
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+"     \
    "P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f"

typedef struct {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/jf-keyring-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char p[512];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void path_in(const fixture *f, const char *name, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s/%s", f->dir, name);
}

/* Write n bytes of content to dir/name with the given mode, replacing any old file. */
static void write_file_n(const fixture *f, const char *name, const char *content, size_t n,
                         mode_t mode, char *path, size_t pathsz)
{
    path_in(f, name, path, pathsz);
    unlink(path);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(content, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void write_file(const fixture *f, const char *name, const char *content, mode_t mode,
                       char *path, size_t pathsz)
{
    write_file_n(f, name, content, strlen(content), mode, path, pathsz);
}

static char *read_all(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void expect_key(const jf_key *k, const char *id, const char *b64)
{
    uint8_t raw[32];
    size_t n = 0;
    assert_non_null(k);
    assert_string_equal(k->id, id);
    assert_int_equal(jf_crypto_base64_decode(b64, strlen(b64), raw, sizeof raw, &n), JF_ERR_OK);
    assert_int_equal(n, 32);
    assert_memory_equal(k->key, raw, 32);
}

static void test_keygen_creates_private_loadable_file(void **state)
{
    fixture *f = *state;
    char path[256];
    char err[512];
    jf_keyring *kr = NULL;
    struct stat st;

    path_in(f, "keys", path, sizeof path);
    /* A umask that would strip the owner's own bits must not matter. */
    mode_t old = umask(0277);
    jf_err rc = jf_privacy_keygen(path);
    umask(old);
    assert_int_equal(rc, JF_ERR_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);

    char *text = read_all(path);
    assert_true(strncmp(text, "jianfu-keyfile 1\n", 17) == 0);
    assert_non_null(strstr(text, "\n# "));
    assert_non_null(strstr(text, "\npseudonym p1 "));
    assert_non_null(strstr(text, "\nseal s1 "));
    free(text);

    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_OK);
    assert_non_null(kr);
    const jf_key *p = jf_privacy_keyring_pseudonym(kr);
    const jf_key *s = jf_privacy_keyring_seal_active(kr);
    assert_string_equal(p->id, "p1");
    assert_string_equal(s->id, "s1");
    assert_ptr_equal(jf_privacy_keyring_seal_find(kr, "s1"), s);
    /* Two independent random keys, neither of them zero. */
    static const uint8_t zero[JF_KEY_LEN];
    assert_memory_not_equal(p->key, s->key, JF_KEY_LEN);
    assert_memory_not_equal(p->key, zero, JF_KEY_LEN);
    assert_memory_not_equal(s->key, zero, JF_KEY_LEN);

    /* A second key file gets different keys. */
    char path2[256];
    jf_keyring *kr2 = NULL;
    path_in(f, "keys2", path2, sizeof path2);
    assert_int_equal(jf_privacy_keygen(path2), JF_ERR_OK);
    assert_int_equal(jf_privacy_keyring_load(path2, &kr2, err, sizeof err), JF_ERR_OK);
    assert_memory_not_equal(jf_privacy_keyring_pseudonym(kr2)->key, p->key, JF_KEY_LEN);
    assert_memory_not_equal(jf_privacy_keyring_seal_active(kr2)->key, s->key, JF_KEY_LEN);
    jf_privacy_keyring_free(kr2);
    jf_privacy_keyring_free(kr);
}

static void test_keygen_refuses_overwrite(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "keys", path, sizeof path);
    assert_int_equal(jf_privacy_keygen(path), JF_ERR_OK);
    char *before = read_all(path);
    assert_int_equal(jf_privacy_keygen(path), JF_ERR_EXISTS);
    char *after = read_all(path);
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* Nor through a symlink, whether it points at an existing file or nowhere. */
    char link[256];
    char target[256];
    path_in(f, "link", link, sizeof link);
    path_in(f, "target", target, sizeof target);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(jf_privacy_keygen(link), JF_ERR_EXISTS);
    assert_int_not_equal(access(target, F_OK), 0);

    char missing_dir[256];
    path_in(f, "no/such/dir", missing_dir, sizeof missing_dir);
    assert_int_equal(jf_privacy_keygen(missing_dir), JF_ERR_IO);
    assert_int_equal(jf_privacy_keygen(NULL), JF_ERR_INVAL);
    assert_int_equal(jf_privacy_keygen(""), JF_ERR_INVAL);
}

static void test_load_refuses_group_or_other_access(void **state)
{
    fixture *f = *state;
    static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0660, 0610, 0601};
    const char *content = "jianfu-keyfile 1\npseudonym p1 " KEY_A "\nseal s1 " KEY_B "\n";
    char path[256];
    char err[512];

    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        jf_keyring *kr = (jf_keyring *)&kr;
        write_file(f, "keys", content, modes[i], path, sizeof path);
        assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_CONFIG);
        assert_null(kr);
        assert_non_null(strstr(err, "readable by group or others"));
        assert_non_null(strstr(err, "chmod 600"));
        assert_non_null(strstr(err, path));
    }
    /* Owner-only modes are fine, including read-only. */
    static const mode_t ok_modes[] = {0600, 0400};
    for (size_t i = 0; i < sizeof ok_modes / sizeof ok_modes[0]; i++) {
        jf_keyring *kr = NULL;
        write_file(f, "keys", content, ok_modes[i], path, sizeof path);
        assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_OK);
        jf_privacy_keyring_free(kr);
    }
}

static void test_load_io_errors(void **state)
{
    fixture *f = *state;
    char path[256];
    char err[512];
    jf_keyring *kr = NULL;

    path_in(f, "absent", path, sizeof path);
    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_IO);
    assert_null(kr);
    assert_non_null(strstr(err, path));
    /* errbuf is optional. */
    assert_int_equal(jf_privacy_keyring_load(path, &kr, NULL, 0), JF_ERR_IO);

    /* A directory is not a key file (it has no group bits in the way: mkdtemp's 0700). */
    assert_int_equal(jf_privacy_keyring_load(f->dir, &kr, err, sizeof err), JF_ERR_CONFIG);
    assert_null(kr);
    assert_non_null(strstr(err, "not a regular file"));
}

typedef struct {
    const char *name;
    const char *content;
    const char *reason; /* a fragment of the expected error message */
} bad_file;

#define HDR "jianfu-keyfile 1\n"
#define GOOD_P "pseudonym p1 " KEY_A "\n"
#define GOOD_S "seal s1 " KEY_B "\n"

static const bad_file bad_files[] = {
    {"empty", "", "empty"},
    {"only comments", "# nothing here\n\n", "empty"},
    {"missing header", GOOD_P GOOD_S, "first line"},
    {"header not first", GOOD_P HDR GOOD_S, "first line"},
    {"wrong version", "jianfu-keyfile 2\n" GOOD_P GOOD_S, "version"},
    {"header with extra field", "jianfu-keyfile 1 x\n" GOOD_P GOOD_S, "version"},
    {"missing pseudonym", HDR GOOD_S, "no pseudonym key"},
    {"missing seal", HDR GOOD_P, "no seal key"},
    {"duplicate pseudonym", HDR GOOD_P "pseudonym p2 " KEY_C "\n" GOOD_S, "more than one"},
    {"duplicate seal id", HDR GOOD_P GOOD_S "seal s1 " KEY_C "\n",
     "duplicate seal key id 's1'"},
    {"unknown entry", HDR GOOD_P GOOD_S "hmac h1 " KEY_C "\n", "unknown entry"},
    {"stray key line", HDR GOOD_P GOOD_S KEY_C "\n", "unknown entry"},
    {"bad base64", HDR "pseudonym p1 " KEY_A "\nseal s1 !!!!not*base64!!!!\n", "base64"},
    {"bad base64 char", HDR GOOD_P "seal s1 QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFla$1xdXl8=\n",
     "base64"},
    {"short key", HDR GOOD_P "seal s1 " KEY_16 "\n", "exactly 32 bytes"},
    {"long key", HDR GOOD_P "seal s1 " KEY_33 "\n", "exactly 32 bytes"},
    {"64-byte key", HDR GOOD_P "seal s1 " KEY_64 "\n", "exactly 32 bytes"},
    {"96-byte key", HDR GOOD_P "seal s1 " KEY_96 "\n", "exactly 32 bytes"},
    {"key halves glued", HDR GOOD_P "seal s1 " KEY_A KEY_B "\n", "base64"},
    {"missing key id", HDR GOOD_P "seal " KEY_B "\n", "expected"},
    {"too many fields", HDR GOOD_P "seal s1 " KEY_B " extra\n", "expected"},
    {"key id with slash", HDR GOOD_P "seal s/1 " KEY_B "\n", "key id"},
    {"key id too long", HDR GOOD_P "seal s23456789012345678 " KEY_B "\n", "key id"},
    {"key id non-ascii", HDR GOOD_P "seal 密钥 " KEY_B "\n", "key id"},
};

/* Every way a key file can be wrong is refused with a reason, and the reason never
 * contains (a piece of) a key. */
static void test_load_refuses_malformed_files(void **state)
{
    fixture *f = *state;
    static const char *const keys[] = {KEY_A, KEY_B, KEY_C, KEY_16, KEY_33, KEY_64, KEY_96};
    char path[256];
    char err[512];

    for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
        jf_keyring *kr = (jf_keyring *)&kr;
        write_file(f, "keys", bad_files[i].content, 0600, path, sizeof path);
        err[0] = '\0';
        jf_err rc = jf_privacy_keyring_load(path, &kr, err, sizeof err);
        if (rc != JF_ERR_CONFIG || !strstr(err, bad_files[i].reason))
            print_error("case '%s': rc %d, message '%s'\n", bad_files[i].name, rc, err);
        assert_int_equal(rc, JF_ERR_CONFIG);
        assert_null(kr);
        assert_non_null(strstr(err, bad_files[i].reason));
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            char piece[9];
            memcpy(piece, keys[k] + 4, 8);
            piece[8] = '\0';
            assert_null(strstr(err, piece));
        }
    }
}

static void test_load_refuses_oversized_input(void **state)
{
    fixture *f = *state;
    char path[256];
    char err[512];
    jf_keyring *kr = NULL;

    /* A line longer than the line bound. */
    size_t n = 2000;
    char *text = malloc(n + 200);
    assert_non_null(text);
    int m = snprintf(text, n + 200, HDR GOOD_P GOOD_S "# ");
    memset(text + m, 'a', n);
    text[m + (int)n] = '\n';
    write_file_n(f, "keys", text, (size_t)m + n + 1, 0600, path, sizeof path);
    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_CONFIG);
    assert_non_null(strstr(err, "longer than"));
    free(text);

    /* A file over 64 KiB, made of acceptable short comment lines. */
    size_t big = 70 * 1024;
    text = malloc(big);
    assert_non_null(text);
    memcpy(text, HDR GOOD_P GOOD_S, strlen(HDR GOOD_P GOOD_S));
    for (size_t i = strlen(HDR GOOD_P GOOD_S); i < big; i++)
        text[i] = (i % 64 == 0) ? '\n' : '#';
    write_file_n(f, "keys", text, big, 0600, path, sizeof path);
    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_CONFIG);
    assert_non_null(strstr(err, "larger than"));
    assert_null(kr);
    free(text);

    /* A NUL byte: not a text file. */
    static const char nul[] = HDR GOOD_P "\0" GOOD_S;
    write_file_n(f, "keys", nul, sizeof nul - 1, 0600, path, sizeof path);
    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_CONFIG);
    assert_null(kr);

    /* Seventeen seal keys are one too many; sixteen are fine. */
    char many[4096];
    size_t len = (size_t)snprintf(many, sizeof many, HDR GOOD_P);
    for (int i = 1; i <= JF_KEYRING_MAX_SEAL_KEYS; i++)
        len += (size_t)snprintf(many + len, sizeof many - len, "seal s%d %s\n", i, KEY_B);
    write_file(f, "keys", many, 0600, path, sizeof path);
    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_OK);
    assert_string_equal(jf_privacy_keyring_seal_active(kr)->id, "s16");
    jf_privacy_keyring_free(kr);
    kr = NULL;
    snprintf(many + len, sizeof many - len, "seal s17 %s\n", KEY_B);
    write_file(f, "keys", many, 0600, path, sizeof path);
    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_CONFIG);
    assert_non_null(strstr(err, "more than 16 seal keys"));
    assert_null(kr);
}

/* Comments, blank lines, CRLF line ends, tabs and a missing final newline are all fine. */
static void test_load_accepts_layout_variants(void **state)
{
    fixture *f = *state;
    char path[256];
    char err[512];
    jf_keyring *kr = NULL;
    const char *content = "# a comment before the header\r\n"
                          "\r\n"
                          "jianfu-keyfile 1   # version one\r\n"
                          "  \t\r\n"
                          "pseudonym\tp1\t" KEY_A "  # trailing comment\r\n"
                          "seal s_1-A " KEY_B;
    write_file(f, "keys", content, 0600, path, sizeof path);
    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_OK);
    expect_key(jf_privacy_keyring_pseudonym(kr), "p1", KEY_A);
    expect_key(jf_privacy_keyring_seal_active(kr), "s_1-A", KEY_B);
    /* The pseudonym and seal namespaces are separate. */
    assert_null(jf_privacy_keyring_seal_find(kr, "p1"));
    jf_privacy_keyring_free(kr);
    jf_privacy_keyring_free(NULL);
}

static void test_rotation_last_seal_key_is_active(void **state)
{
    fixture *f = *state;
    char path[256];
    char err[512];
    jf_keyring *kr = NULL;
    write_file(f, "keys", HDR GOOD_P "seal s1 " KEY_B "\n# rotated\nseal s2 " KEY_C "\n", 0600,
               path, sizeof path);
    assert_int_equal(jf_privacy_keyring_load(path, &kr, err, sizeof err), JF_ERR_OK);
    expect_key(jf_privacy_keyring_pseudonym(kr), "p1", KEY_A);
    expect_key(jf_privacy_keyring_seal_active(kr), "s2", KEY_C);
    expect_key(jf_privacy_keyring_seal_find(kr, "s1"), "s1", KEY_B);
    expect_key(jf_privacy_keyring_seal_find(kr, "s2"), "s2", KEY_C);
    assert_null(jf_privacy_keyring_seal_find(kr, "s3"));
    assert_null(jf_privacy_keyring_seal_find(kr, "S1"));
    assert_null(jf_privacy_keyring_seal_find(kr, ""));
    assert_null(jf_privacy_keyring_seal_find(kr, NULL));
    jf_privacy_keyring_free(kr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keygen_creates_private_loadable_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_keygen_refuses_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refuses_group_or_other_access, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_io_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refuses_malformed_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refuses_oversized_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_accepts_layout_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_last_seal_key_is_active, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
