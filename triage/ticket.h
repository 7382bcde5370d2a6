/* ticket.h - public ticket codes for complaints.
 *
 * A ticket code is what a reporter quotes back by SMS, so it is short, case-insensitive
 * and free of look-alike characters; and since it is the only handle on a complaint that
 * a reporter ever sees, it is random from the CSPRNG (not derived from time or a
 * sequence): 10 characters of a 31-symbol alphabet, about 49.5 bits. Thread-safe.
 */
#ifndef JF_TRIAGE_TICKET_H
#define JF_TRIAGE_TICKET_H

#include <stdbool.h>

#include "core/err.h"

#define JF_TICKET_LEN 10
#define JF_TICKET_ALPHABET "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

/* jf_triage_ticket_new - out receives a fresh NUL-terminated code, each symbol drawn
 * uniformly from the alphabet. JF_ERR_CRYPTO when the CSPRNG fails, and then out is the
 * empty string. Codes are not checked for uniqueness here: with 31^10 possible codes a
 * collision is rare but possible, so the store's unique constraint must catch it and
 * the caller draw again. */
jf_err jf_triage_ticket_new(char out[JF_TICKET_LEN + 1]) JF_WUR;

/* jf_triage_ticket_valid - whether s is a well-formed code: exactly JF_TICKET_LEN symbols
 * of the alphabet, upper case as issued (a code a person typed goes through
 * jf_triage_ticket_parse). False for NULL. Reads at most JF_TICKET_LEN + 1 bytes of s. */
bool jf_triage_ticket_valid(const char *s);

/* jf_triage_ticket_parse - a code as a person typed it (a coordinator at the command line
 * or in the web inbox, a reporter quoting it back): surrounding spaces and tabs are
 * dropped and letters upper-cased. True, with the code as issued in out, when what
 * remains is a well-formed code; false otherwise, and then out is the empty string.
 * Reads in only up to its terminator or a bounded length; NULL gives false. */
bool jf_triage_ticket_parse(const char *in, char out[JF_TICKET_LEN + 1]);

#endif
