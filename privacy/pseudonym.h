/* pseudonym.h - the reporter key: a keyed, stable pseudonym for a sender address.
 *
 * reporter key = HMAC-SHA256(pseudonym key, kind ":" normalised address). The same person
 * writing from the same address always gets the same key, so SMS commands can act on
 * their own complaints, while nobody without the key file can enumerate phone numbers
 * back to it. Thread-safe; nothing is retained.
 */
#ifndef JF_PRIVACY_PSEUDONYM_H
#define JF_PRIVACY_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "privacy/keyring.h"

#define JF_REPORTER_KEY_LEN 32
#define JF_ADDRESS_MAX 256

/* jf_privacy_normalise_address - canonical form of a sender address for a channel kind.
 * For SMS kinds ("twilio", "kannel", "aliyun", "tencent", "sms") the address is a phone
 * number: full-width digits become ASCII, spaces, dashes, dots and parentheses go, and a
 * mainland number with or without +86 / 0086 / 86 becomes "+86" followed by 11 digits;
 * other numbers keep a leading '+' and their digits. For other kinds the address is
 * trimmed of surrounding white space. out gets a NUL-terminated string.
 * JF_ERR_INVAL for an empty result, JF_ERR_TOOBIG if it does not fit in outsz.
 *
 * Precisely: a mainland mobile is 1[3-9] and nine more digits, written bare, as "86" +
 * 11 digits, "0086" + 11 digits or "+86" + 11 digits. Separators are ASCII white space,
 * '-', '.', '(', ')' and their full-width / typographic forms (U+3000, U+FF0D, U+FF0E,
 * U+FF08, U+FF09, U+00A0, U+2010-U+2014); '+' and U+FF0B are a plus. A plus after a
 * digit, a second plus, or any other character (letters, "tel:", invalid UTF-8) in a
 * phone address is JF_ERR_INVAL rather than dropped, so that two different senders can
 * never collapse into one reporter. Numbers that are not mainland mobiles (landlines,
 * foreign numbers, short codes) are kept as written, digits only: "+86 10 8888 8888" is
 * "+861088888888", "010 8888 8888" is "01088888888" (different keys: providers send
 * one form consistently). kind must be 1-32 characters of [A-Za-z0-9_-] (no ':', so
 * kind ":" address is unambiguous), else JF_ERR_INVAL; SMS kinds match case-sensitively.
 * An addr longer than JF_ADDRESS_MAX bytes is JF_ERR_TOOBIG. NULL arguments or outsz 0
 * are JF_ERR_INVAL. The result is at most JF_ADDRESS_MAX + 3 bytes plus the NUL. */
jf_err jf_privacy_normalise_address(const char *kind, const char *addr, char *out,
                                    size_t outsz) JF_WUR;

/* jf_privacy_reporter_key - out receives the reporter key of addr on channel kind:
 * HMAC-SHA256(pseudonym key, kind ":" normalised addr). Fails exactly as
 * jf_privacy_normalise_address does (JF_ERR_INVAL, JF_ERR_TOOBIG), and with JF_ERR_INVAL
 * for a NULL kr or out. The normalised address is wiped from the stack before return. */
jf_err jf_privacy_reporter_key(const jf_keyring *kr, const char *kind, const char *addr,
                               uint8_t out[JF_REPORTER_KEY_LEN]) JF_WUR;

#endif
