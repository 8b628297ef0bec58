/* The attention heat map of `rewind translate --attention FILE.svg`: a
 * standalone SVG (no scripts, no external files) with the source tokens
 * along the top, the output tokens down the left, one square per pair
 * shaded by its weight, and a <title> on each square giving the value. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "seq2seq_tools.h"

enum { CELL = 28, LEFT = 90, TOP = 90, PAD = 16 };

/* A token as XML text: markup characters escaped, a space shown as '␣'
 * and other control bytes as \xHH so every label is visible. */
static void put_token(FILE *f, const char *t)
{
    for (; *t; t++) {
        unsigned char c = (unsigned char)*t;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c == ' ')
            fputs("\xe2\x90\xa3", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

rw_status attention_svg_write(const char *path, const char *const *src_tokens, int cols,
                              const char *const *out_tokens, int rows, const rw_real *weights)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rw_error(RW_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    int width = LEFT + cols * CELL + PAD, height = TOP + rows * CELL + PAD + 20;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"monospace\" font-size=\"14\">\n"
               "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n"
               "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#555\">source &#8594;   output &#8595;   "
               "(darker = more attention)</text>\n",
            width, height, width, height, width, height, PAD, height - PAD / 2);
    for (int j = 0; j < cols; j++) {
        int x = LEFT + j * CELL + CELL / 2 + 5;
        fprintf(f, "<text class=\"source\" x=\"%d\" y=\"%d\" transform=\"rotate(-60 %d %d)\">", x, TOP - 6, x,
                TOP - 6);
        put_token(f, src_tokens[j]);
        fputs("</text>\n", f);
    }
    for (int i = 0; i < rows; i++) {
        fprintf(f, "<text class=\"output\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", LEFT - 6,
                TOP + i * CELL + CELL / 2 + 5);
        put_token(f, out_tokens[i]);
        fputs("</text>\n", f);
        for (int j = 0; j < cols; j++) {
            double w = (double)weights[(size_t)i * (size_t)cols + (size_t)j];
            w = w < 0 ? 0 : w > 1 ? 1 : w;
            int shade = (int)(255.0 * (1.0 - w) + 0.5);
            fprintf(f, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" "
                       "stroke=\"#ddd\"><title>%.3f</title></rect>\n",
                    LEFT + j * CELL, TOP + i * CELL, CELL, CELL, shade, shade, shade, w);
        }
    }
    fputs("</svg>\n", f);
    if (fclose(f) != 0)
        return rw_error(RW_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return RW_OK;
}
