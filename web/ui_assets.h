/* ui_assets.h: the files of web/assets/, embedded in the binary. The table
 * is generated at build time by scripts/embed_assets.py (build/gen/). */
#ifndef WEB_UI_ASSETS_H
#define WEB_UI_ASSETS_H

#include <stddef.h>

typedef struct web_ui_asset {
  const char *name; /* file name: "app.js" */
  const char *type; /* content type */
  const unsigned char *data;
  size_t len;
} web_ui_asset;

extern const web_ui_asset web_ui_assets[];
extern const size_t web_ui_nassets;

#endif
