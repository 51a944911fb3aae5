/* fuzz_graph.c: libFuzzer target for the web UI's graph module
 * (web/graph.c). An input is a JSON object {"def": definition, "events":
 * [history events], "status": "..."}: any shape, not only valid ones. The
 * SVG must render (or fail with an error) and the statuses must be an
 * object, without a crash, a leak of ours or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/json.h"
#include "../web/graph.h"

/* Graphviz (2.42) keeps or leaks allocations of its own on each layout;
 * ours are still checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libgvc\nleak:libcgraph\nleak:libcdt\nleak:libgvplugin\n"
         "leak:libfontconfig\nleak:libglib\nleak:libpango\nleak:libcairo\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0; /* Graphviz's layout time grows fast */
  cJSON *in = asl_json_parse((const char *)data, size, NULL);
  if (!cJSON_IsObject(in)) {
    cJSON_Delete(in);
    return 0;
  }
  const cJSON *def = cJSON_GetObjectItemCaseSensitive(in, "def");
  const cJSON *events = cJSON_GetObjectItemCaseSensitive(in, "events");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(in, "status");
  char *svg = NULL;
  size_t len = 0;
  asl_error e = {0};
  if (web_graph_svg(def, &svg, &len, &e) == 0) {
    if (!svg || strlen(svg) != len || !strstr(svg, "<svg")) abort();
    for (size_t i = 0; i < len; i++) /* no byte XML forbids */
      if ((unsigned char)svg[i] < 0x20 && !strchr("\n\r\t", svg[i])) abort();
  } else if (!e.name) {
    abort();
  }
  free(svg);
  asl_error_clear(&e);
  cJSON *s = web_graph_states(
      def, events, cJSON_IsString(st) ? st->valuestring : NULL, "E", "C");
  if (!cJSON_IsObject(s)) abort();
  cJSON_Delete(s);
  cJSON_Delete(in);
  return 0;
}
