/* Ctrl-C during `rewind train`: the first SIGINT or SIGTERM asks rw_train to
 * stop after the current step (it then saves its checkpoint); a second one
 * exits at once. */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "train_support.h"

volatile sig_atomic_t interrupt_flag = 0;

static struct sigaction old_int, old_term;
static bool installed;

static void on_signal(int sig)
{
    (void)sig;
    if (interrupt_flag) {
        static const char msg[] = "\nrewind: interrupted again; exiting without saving\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(130);
    }
    interrupt_flag = 1;
    static const char msg[] = "\nrewind: stopping after this step and saving a checkpoint "
                              "(press Ctrl-C again to quit at once)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
}

void interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    interrupt_flag = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    installed = true;
}

void interrupt_restore(void)
{
    if (!installed)
        return;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    installed = false;
}
