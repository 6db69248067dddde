/* charrnn.c: the front command, in the manner of git: `charrnn sample ...` runs the installed
 * charrnn-sample (or, in the source tree, bin/sample), and `charrnn help` lists the commands. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct command {
    const char *name;  /* charrnn NAME, installed as charrnn-NAME */
    const char *tree;  /* its program's name in the source tree's bin/ */
    const char *what;
} command;

static const command COMMANDS[] = {
    {"clean", "clean", "tidy raw text (any bytes, HTML, Gutenberg books) into a UTF-8 corpus"},
    {"tokenize", "tokenize", "show the characters a model will see, and turn text into ids"},
    {"train", "train-charrnn", "train a bot on your text and save it as a checkpoint"},
    {"sample", "sample", "write text with a trained bot"},
    {"dump", "dump", "show what a checkpoint holds; make its web page, or export it for ml5.js"},
    {"trace", "trace", "find what a text copies word for word from a corpus, and from where"},
    {"score", "score", "how well a bot knows a text: its loss, and the strangest lines"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void overview(void)
{
    cli_printf("Usage: charrnn COMMAND [OPTION]... [FILE]...\n"
               "Train small character-level language models on your own text, and write with\n"
               "them. The commands:\n\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        cli_printf("  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].what);
    cli_printf("\n  help COMMAND  the manual of a command (also: charrnn COMMAND --help)\n"
               "  --version     show the version\n\n"
               "Example:\n"
               "  charrnn clean raw.txt | charrnn train --time 120 -o bot.ckpt\n"
               "  charrnn sample -n 400 --prime \"If you want to understand love\" bot.ckpt\n");
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, COMMANDS[i].name) == 0 || strcmp(name, COMMANDS[i].tree) == 0)
            return &COMMANDS[i];
    return NULL;
}

/* Edits (insert, delete, change, swap two neighbours) between a and b, capped at 3. */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 30 || m > 30) return 3;
    int d[32][32];
    for (size_t i = 0; i <= n; i++)
        for (size_t j = 0; j <= m; j++) {
            if (!i || !j) {
                d[i][j] = (int)(i + j);
                continue;
            }
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m] < 3 ? d[n][m] : 3;
}

_Noreturn static void unknown(const char *name)
{
    const command *near = NULL;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (distance(name, COMMANDS[i].name) <= 2 && !near) near = &COMMANDS[i];
    if (near) cli_usage("'%s' is not a command; did you mean 'charrnn %s'?", name, near->name);
    cli_usage("'%s' is not a command; 'charrnn help' lists them", name);
}

/* The folder this program was run from, for the programs installed beside it. */
static int own_folder(char *dir, size_t cap, const char *argv0)
{
    ssize_t n = readlink("/proc/self/exe", dir, cap - 1);
    if (n > 0) dir[n] = 0;
    else if (strchr(argv0, '/') && strlen(argv0) < cap) strcpy(dir, argv0);
    else return 0;
    char *slash = strrchr(dir, '/');
    if (!slash) return 0;
    *slash = 0;
    return 1;
}

static int executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Runs the command's program with args (args[0] replaced): beside this one as charrnn-NAME or
 * as its source-tree name, else charrnn-NAME on the PATH. Returns only on failure. */
static void run(const command *c, char **args, const char *argv0)
{
    char dir[PATH_MAX], path[PATH_MAX + 64], installed[64];
    snprintf(installed, sizeof installed, "charrnn-%s", c->name);
    if (own_folder(dir, sizeof dir, argv0)) {
        const char *names[2] = {installed, c->tree};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (executable(path)) {
                args[0] = path;
                execv(path, args);
                cli_die(path, "cannot run it: %s", strerror(errno));
            }
        }
    }
    args[0] = installed;
    execvp(installed, args);
    cli_die(NULL, "cannot find the program %s for 'charrnn %s' (%s): install charrnn with "
            "'make install', or put its bin/ folder on your PATH", installed, c->name,
            strerror(errno));
}

/* 1 if `man -w page` finds the page. */
static int has_manual(const char *page)
{
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("man", "man", "-w", page, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* charrnn help COMMAND: its manual page, or its --help when man or the page is missing. */
_Noreturn static void help(const command *c, const char *argv0)
{
    char page[64];
    snprintf(page, sizeof page, "charrnn-%s", c->name);
    if (has_manual(page)) {
        execlp("man", "man", page, (char *)NULL);
        cli_die(NULL, "cannot run man: %s", strerror(errno));
    }
    char *args[] = {NULL, "--help", NULL};
    run(c, args, argv0);
    exit(1);
}

int main(int argc, char **argv)
{
    cli_prog = "charrnn";
    if (argc < 2) {
        overview();
        cli_close_stdout();
        return 0;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0) {
        cli_printf("charrnn %s\n", CR_VERSION);
        cli_close_stdout();
        return 0;
    }
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            const command *c = find(argv[2]);
            if (!c) unknown(argv[2]);
            help(c, argv[0]);
        }
        overview();
        cli_close_stdout();
        return 0;
    }
    if (name[0] == '-') cli_usage("unknown option '%s'; a command comes first", name);
    const command *c = find(name);
    if (!c) unknown(name);
    run(c, argv + 1, argv[0]);
    return 1;
}
