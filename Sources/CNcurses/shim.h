#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <string.h>
#include <stdio.h>
#include <ncursesw/curses.h>

// Swift 6 rejects mutable C globals and cannot import curses' macros:
// small getters and constants instead.
static inline WINDOW *hk_stdscr(void) { return stdscr; }
static inline int hk_lines(void) { return LINES; }
static inline int hk_cols(void) { return COLS; }
static inline int hk_colors(void) { return COLORS; }
static inline int hk_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t hk_a_bold(void) { return A_BOLD; }
static inline attr_t hk_a_underline(void) { return A_UNDERLINE; }
static inline attr_t hk_a_reverse(void) { return A_REVERSE; }
static inline attr_t hk_a_dim(void) { return A_DIM; }
static inline attr_t hk_color_pair(int n) { return COLOR_PAIR(n); }
static inline int hk_key_resize(void) { return KEY_RESIZE; }
static inline int hk_key_mouse(void) { return KEY_MOUSE; }
static inline int hk_err(void) { return ERR; }
static inline int hk_getmouse(int *x, int *y, unsigned long *state) {
    MEVENT e;
    if (getmouse(&e) != OK) return ERR;
    *x = e.x; *y = e.y; *state = (unsigned long)e.bstate;
    return OK;
}
static inline unsigned long hk_button1_clicked(void) { return BUTTON1_CLICKED | BUTTON1_PRESSED; }
static inline unsigned long hk_button4_pressed(void) { return BUTTON4_PRESSED; }
#ifdef BUTTON5_PRESSED
static inline unsigned long hk_button5_pressed(void) { return BUTTON5_PRESSED; }
#else
static inline unsigned long hk_button5_pressed(void) { return 0; }
#endif
static inline unsigned long hk_all_mouse_events(void) { return ALL_MOUSE_EVENTS; }

// 1 when the locale's character set is UTF-8 (call after setlocale).
static inline int hk_codeset_is_utf8(void) {
    const char *set = nl_langinfo(CODESET);
    return set && (strcmp(set, "UTF-8") == 0 || strcmp(set, "utf8") == 0);
}

// initscr() exits the process on a terminal it does not know; newterm() says so.
static inline int hk_start(void) {
    SCREEN *screen = newterm(NULL, stdout, stdin);
    if (screen == NULL) return 0;
    set_term(screen);
    return 1;
}
