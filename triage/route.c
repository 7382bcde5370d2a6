/* route.c - Aho-Corasick over department names and aliases.
 *
 * The automaton is a trie whose nodes keep their outgoing edges sorted by byte (compact:
 * department names are a few thousand bytes in all), plus for each node the failure link
 * (the longest proper suffix of its path that is also a trie path) and the output link
 * (the nearest node along failure links that ends a pattern). Scanning follows edges,
 * falling back along failure links, and walks output links at each position to see every
 * pattern ending there.
 */
#include "route.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t byte;
    uint32_t to;
} edge;

typedef struct {
    uint32_t first_edge; /* index into edges */
    uint32_t nedges;
    uint32_t fail;
    uint32_t out;    /* nearest pattern-ending node via fail links (0: none) */
    int32_t pattern; /* pattern ending exactly here, or -1 */
} node;

struct jf_triage_router {
    node *nodes;
    size_t nnodes;
    edge *edges;
    size_t nedges;
    char **texts;
    size_t *lens;
    int64_t *departments;
    size_t npatterns;
};

/* ---- building ------------------------------------------------------------------------ */

/* While building, each node's edges live in its own growable array; they are flattened
 * into one sorted array at the end. */
typedef struct {
    edge *e;
    uint32_t n, cap;
} edge_list;

typedef struct {
    node *nodes;
    edge_list *lists;
    size_t n, cap;
} builder;

static int64_t find_edge(const edge_list *l, uint8_t b)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->e[mid].byte < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->e[lo].byte == b ? (int64_t)l->e[lo].to : -1;
}

static jf_err new_node(builder *b, uint32_t *id)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        node *nn = realloc(b->nodes, cap * sizeof *nn);
        if (!nn)
            return JF_ERR_NOMEM;
        b->nodes = nn;
        edge_list *nl = realloc(b->lists, cap * sizeof *nl);
        if (!nl)
            return JF_ERR_NOMEM;
        b->lists = nl;
        b->cap = cap;
    }
    memset(&b->nodes[b->n], 0, sizeof b->nodes[b->n]);
    b->nodes[b->n].pattern = -1;
    memset(&b->lists[b->n], 0, sizeof b->lists[b->n]);
    *id = (uint32_t)b->n++;
    return JF_ERR_OK;
}

static jf_err add_edge(edge_list *l, uint8_t byte, uint32_t to)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 2;
        edge *ne = realloc(l->e, cap * sizeof *ne);
        if (!ne)
            return JF_ERR_NOMEM;
        l->e = ne;
        l->cap = cap;
    }
    uint32_t i = l->n;
    while (i > 0 && l->e[i - 1].byte > byte) {
        l->e[i] = l->e[i - 1];
        i--;
    }
    l->e[i].byte = byte;
    l->e[i].to = to;
    l->n++;
    return JF_ERR_OK;
}

/* The transition from state s on byte c in the finished automaton, following failure
 * links; the root loops to itself. */
static uint32_t step(const jf_triage_router *r, uint32_t s, uint8_t c)
{
    for (;;) {
        const node *n = &r->nodes[s];
        size_t lo = n->first_edge, hi = (size_t)n->first_edge + n->nedges;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (r->edges[mid].byte < c)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < (size_t)n->first_edge + n->nedges && r->edges[lo].byte == c)
            return r->edges[lo].to;
        if (s == 0)
            return 0;
        s = n->fail;
    }
}

static jf_err insert(builder *b, const char *text, size_t len, int32_t pattern,
                     const int64_t *departments, int64_t department)
{
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)text[i];
        int64_t t = find_edge(&b->lists[s], c);
        if (t < 0) {
            uint32_t id;
            jf_err err = new_node(b, &id);
            if (err)
                return err;
            err = add_edge(&b->lists[s], c, id);
            if (err)
                return err;
            t = id;
        }
        s = (uint32_t)t;
    }
    if (b->nodes[s].pattern >= 0)
        return departments[b->nodes[s].pattern] == department ? JF_ERR_OK : JF_ERR_EXISTS;
    b->nodes[s].pattern = pattern;
    return JF_ERR_OK;
}

jf_err jf_triage_router_build(const jf_triage_route_pattern *patterns, size_t n,
                              jf_triage_router **out)
{
    jf_err err = JF_ERR_NOMEM;
    builder b = {0};
    uint32_t *queue = NULL;
    jf_triage_router *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return JF_ERR_NOMEM;
    if (n > JF_ROUTE_MAX_PATTERNS) {
        err = JF_ERR_TOOBIG;
        goto fail;
    }
    r->texts = calloc(n ? n : 1, sizeof *r->texts);
    r->lens = calloc(n ? n : 1, sizeof *r->lens);
    r->departments = calloc(n ? n : 1, sizeof *r->departments);
    if (!r->texts || !r->lens || !r->departments)
        goto fail;
    uint32_t root;
    err = new_node(&b, &root);
    if (err)
        goto fail;

    for (size_t i = 0; i < n; i++) {
        size_t len = patterns[i].text ? strlen(patterns[i].text) : 0;
        if (len == 0 || len > JF_ROUTE_MAX_PATTERN_LEN) {
            err = JF_ERR_INVAL;
            goto fail;
        }
        r->texts[i] = strdup(patterns[i].text);
        if (!r->texts[i]) {
            err = JF_ERR_NOMEM;
            goto fail;
        }
        r->lens[i] = len;
        r->departments[i] = patterns[i].department;
        r->npatterns = i + 1;
        err = insert(&b, patterns[i].text, len, (int32_t)i, r->departments,
                     patterns[i].department);
        if (err)
            goto fail;
    }

    /* Flatten the edge lists. */
    size_t total = 0;
    for (size_t i = 0; i < b.n; i++)
        total += b.lists[i].n;
    r->edges = malloc((total ? total : 1) * sizeof *r->edges);
    if (!r->edges) {
        err = JF_ERR_NOMEM;
        goto fail;
    }
    size_t k = 0;
    for (size_t i = 0; i < b.n; i++) {
        b.nodes[i].first_edge = (uint32_t)k;
        b.nodes[i].nedges = b.lists[i].n;
        if (b.lists[i].n) /* leaves have no edge array at all */
            memcpy(r->edges + k, b.lists[i].e, b.lists[i].n * sizeof *r->edges);
        k += b.lists[i].n;
    }
    r->nedges = total;
    r->nodes = b.nodes;
    r->nnodes = b.n;
    b.nodes = NULL;

    /* Failure and output links, breadth first so a node's links are set before its
     * children need them. */
    queue = malloc(r->nnodes * sizeof *queue);
    if (!queue) {
        err = JF_ERR_NOMEM;
        goto fail;
    }
    size_t qh = 0, qt = 0;
    for (uint32_t e = 0; e < r->nodes[0].nedges; e++) {
        uint32_t child = r->edges[r->nodes[0].first_edge + e].to;
        r->nodes[child].fail = 0;
        r->nodes[child].out = 0;
        queue[qt++] = child;
    }
    while (qh < qt) {
        uint32_t s = queue[qh++];
        for (uint32_t e = 0; e < r->nodes[s].nedges; e++) {
            const edge *ed = &r->edges[r->nodes[s].first_edge + e];
            uint32_t child = ed->to;
            uint32_t f = step(r, r->nodes[s].fail, ed->byte);
            r->nodes[child].fail = f == child ? 0 : f;
            uint32_t fl = r->nodes[child].fail;
            r->nodes[child].out = r->nodes[fl].pattern >= 0 ? fl : r->nodes[fl].out;
            queue[qt++] = child;
        }
    }
    err = JF_ERR_OK;
    *out = r;
    r = NULL;
fail:
    for (size_t i = 0; i < b.n; i++)
        free(b.lists[i].e);
    free(b.lists);
    free(b.nodes);
    free(queue);
    jf_triage_router_free(r);
    return err;
}

void jf_triage_router_free(jf_triage_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->npatterns; i++)
        free(r->texts[i]);
    free(r->texts);
    free(r->lens);
    free(r->departments);
    free(r->nodes);
    free(r->edges);
    free(r);
}

/* Whether a match of pattern p wins over the best so far: longer first, then earlier. */
static bool better(const jf_triage_router *r, int32_t p, size_t start, int32_t best,
                   size_t best_start)
{
    if (best < 0)
        return true;
    if (r->lens[p] != r->lens[best])
        return r->lens[p] > r->lens[best];
    return start < best_start;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A number in a name matches a whole number only: 110 is not found in 1101 or 2110. */
static bool within_number(const jf_triage_router *r, int32_t p, const char *text, size_t len,
                          size_t start)
{
    size_t end = start + r->lens[p];
    return (start > 0 && is_digit(r->texts[p][0]) && is_digit(text[start - 1])) ||
           (end < len && is_digit(r->texts[p][r->lens[p] - 1]) && is_digit(text[end]));
}

void jf_triage_route(const jf_triage_router *r, const char *text, size_t len,
                     jf_triage_route_result *out)
{
    int32_t best = -1;
    size_t best_start = 0;
    uint32_t s = 0;

    memset(out, 0, sizeof *out);
    if (!r || !text || r->npatterns == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        s = step(r, s, (uint8_t)text[i]);
        for (uint32_t t = r->nodes[s].pattern >= 0 ? s : r->nodes[s].out; t != 0;
             t = r->nodes[t].out) {
            int32_t p = r->nodes[t].pattern;
            size_t start = i + 1 - r->lens[p];
            if (within_number(r, p, text, len, start))
                continue;
            out->matches++;
            if (better(r, p, start, best, best_start)) {
                best = p;
                best_start = start;
            }
        }
    }
    if (best >= 0) {
        out->department = r->departments[best];
        out->pattern = r->texts[best];
        out->offset = best_start;
    }
}

size_t jf_triage_router_size(const jf_triage_router *r)
{
    if (!r)
        return 0;
    size_t n = sizeof *r + r->nnodes * sizeof *r->nodes + r->nedges * sizeof *r->edges +
               r->npatterns * (sizeof *r->texts + sizeof *r->lens + sizeof *r->departments);
    for (size_t i = 0; i < r->npatterns; i++)
        n += r->lens[i] + 1;
    return n;
}
