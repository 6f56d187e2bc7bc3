/* The connectors the engine ships (defined in connectors/, written with the public
 * API alone) and the schemes that select them. */
#ifndef SG_ENGINE_BUILTIN_H
#define SG_ENGINE_BUILTIN_H

#include <sangam/sangam.h>

extern const sg_source_def sg__file_source; /* file:PATH, JSON Lines or CSV lines */
extern const sg_sink_def sg__file_sink;     /* file:PATH, encoded lines */
extern const sg_sink_def sg__null_sink;     /* null:, counts and discards */
extern const sg_sink_def sg__latency_sink;  /* latency:, discards, measures latency (pace.h) */

#endif
