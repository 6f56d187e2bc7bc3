/* row.h — input rows: parsing one line of JSON Lines or CSV into a sg_row whose fields
 * the public sg_row_get_* calls read (sangam.h section 5).
 *
 * A source subtask owns one sg__row_parser and feeds it every physical line it reads.
 * The parser copies the line into its own buffer and decodes strings in place, so a
 * row costs no allocation once the buffers have grown to the longest line. Layers:
 * row_json.c (parser lifecycle, getters, JSON Lines) and row_csv.c (CSV) call only
 * utf8.h and the allocator.
 */
#ifndef SG_ENGINE_ROW_H
#define SG_ENGINE_ROW_H

#include <stdbool.h>
#include <stddef.h>

#include <sangam/sangam.h>

typedef enum sg__row_format { SG__ROW_JSONL, SG__ROW_CSV } sg__row_format;

/* The type of a field's value. A CSV field is always TEXT; the getters parse it. */
typedef enum sg__row_type {
    SG__ROW_NULL,
    SG__ROW_FALSE,
    SG__ROW_TRUE,
    SG__ROW_INT,    /* JSON number without fraction or exponent; val is its text */
    SG__ROW_REAL,   /* JSON number with a fraction or an exponent; val is its text */
    SG__ROW_STRING, /* JSON string; val is the decoded UTF-8 */
    SG__ROW_ARRAY,  /* nested JSON; val is not meaningful */
    SG__ROW_OBJECT,
    SG__ROW_TEXT, /* CSV field; val is the unquoted text */
} sg__row_type;

/* One field. name and val point into parser-owned buffers; both are followed by a
 * NUL byte (handy for strtod) but may also contain NULs (JSON "\u0000"). */
typedef struct sg__row_field {
    const char *name;
    size_t name_len;
    const char *val;
    size_t len;
    sg__row_type type;
} sg__row_field;

/* A parsed input row (opaque to users). Lookup is by name, scanning from the last
 * field, so with a repeated JSON key or CSV column name the last one wins. */
struct sg_row {
    const sg__row_field *fields; /* [borrowed] from the parser */
    size_t n;
};

/* ---- The parser ------------------------------------------------------------ */

typedef struct sg__row_parser sg__row_parser; /* per source subtask, reused for every line */

/* Creates a parser for one format. *out is [owned->caller]; free it with
 * sg__row_parser_free. Returns SG_OK or SG_ENOMEM. */
int sg__row_parser_new(sg__row_format fmt, sg__row_parser **out);
void sg__row_parser_free(sg__row_parser *p); /* NULL is a no-op */

/* Tells the parser that the next line starts a new file: a leading UTF-8 byte order
 * mark is dropped from that file's first non-blank line, and a CSV header read from
 * the previous file is forgotten (an explicit header from set_header is kept). */
void sg__row_parser_reset(sg__row_parser *p);

/* Parses one physical line [borrowed] (without its '\n'; one trailing '\r' is
 * stripped). Returns:
 *   SG_OK        *row is the parsed row, valid until the next call on p (the parser
 *                keeps its own copy of the line, so line may be reused at once);
 *   SG_NOTFOUND  a line to skip silently: a blank (whitespace-only) JSON line, an empty
 *                CSV line, or the header line of a CSV file, which the parser remembers
 *                as the field names;
 *   SG_EINVAL    a bad record; *reason is a short message owned by the parser, valid
 *                until the next call ("invalid JSON: ... at column N", "not a JSON
 *                object", "invalid UTF-8 at byte N", "trailing data after the object",
 *                "expected 9 fields, found 7", "missing header line", ...);
 *   SG_ENOMEM    growing a buffer failed; p stays usable.
 * Columns count code points from 1; "byte N" counts bytes from 1. */
int sg__row_parse(sg__row_parser *p, const char *line, size_t len, const sg_row **row,
                  const char **reason);

/* CSV only: uses names [borrowed; copied] as the header, so no header line is read
 * from the input (until sg__row_parser_set_header is called again). Returns SG_OK,
 * SG_EINVAL (a JSON parser, n == 0, or a name that is not valid UTF-8) or SG_ENOMEM. */
int sg__row_parser_set_header(sg__row_parser *p, const char *const *names, size_t n);

/* CSV only: the current header. *names [out] stays valid until the header changes.
 * Returns SG_OK, or SG_NOTFOUND when there is no header (yet, or a JSON parser). */
int sg__row_header(const sg__row_parser *p, const char *const **names, size_t *n);

/* ---- Private to row_json.c and row_csv.c ----------------------------------- */

typedef enum sg__row_hdr_state {
    SG__ROW_HDR_NONE, /* the next non-blank line is the header */
    SG__ROW_HDR_FROM_FILE,
    SG__ROW_HDR_EXPLICIT, /* set by sg__row_parser_set_header */
    SG__ROW_HDR_BAD,      /* the header line was a bad record: no header for this file */
} sg__row_hdr_state;

struct sg__row_parser {
    sg__row_format fmt;
    char *buf; /* copy of the current line, decoded in place, NUL-terminated */
    size_t cap;
    sg__row_field *fields; /* the row's fields; for CSV, names point into hdr_buf */
    size_t fields_cap;
    sg_row row;
    bool file_start; /* the next non-blank line is the first of a file */
    /* CSV header: hdr_n NUL-terminated names, packed in hdr_buf. */
    sg__row_hdr_state hdr_state;
    char *hdr_buf;
    const char **hdr_names;
    size_t hdr_n;
    char reason[160];
};

/* Grows p->buf to at least need bytes. Returns SG_OK or SG_ENOMEM. */
int sg__row_reserve_buf(sg__row_parser *p, size_t need);
/* Grows p->fields to at least n entries, keeping their contents. */
int sg__row_reserve_fields(sg__row_parser *p, size_t n);
/* Formats p->reason and returns it. */
const char *sg__row_reason(sg__row_parser *p, const char *fmt, ...) SG_PRINTF(2, 3);

int sg__row_json_parse(sg__row_parser *p, const char *line, size_t len, const char **reason);
int sg__row_csv_parse(sg__row_parser *p, const char *line, size_t len, const char **reason);
int sg__row_csv_set_header(sg__row_parser *p, const char *const *names, const size_t *lens,
                           size_t n);

#endif
