// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The kernel oracle of ebee-testdata's real-world corpus (see README.md beside this file):
 * loads each BPF object named on the command line as a libbpf application does
 * (bpf_object__open_file, then bpf_object__load), built against the libbpf of the kernel
 * source tree the corpus comes from. Map pinning is turned off, so loading leaves nothing in
 * bpffs. Prints one line per object:
 *
 *   loads<TAB><programs loaded>/<programs>
 *   refuses<TAB><libbpf's first warning or error><TAB><the verifier's last log line>
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

static char first_message[512];
static char last_log_line[512];
static int in_log;

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Keeps libbpf's first message and the verifier log's last line that is not a statistic. */
static int print(enum libbpf_print_level level, const char *format, va_list args)
{
	char text[8192];
	char *line, *save;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(text, sizeof(text), format, args);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "-- BEGIN PROG LOAD LOG --")) {
			in_log = 1;
		} else if (strstr(line, "-- END PROG LOAD LOG --")) {
			in_log = 0;
		} else if (in_log) {
			if (!starts_with(line, "processed ") && !starts_with(line, "verification time") &&
			    !starts_with(line, "stack depth") && line[0])
				snprintf(last_log_line, sizeof(last_log_line), "%s", line);
		} else if (!first_message[0]) {
			snprintf(first_message, sizeof(first_message), "%s", line);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(print);
	for (int i = 1; i < argc; i++) {
		struct bpf_object *obj;
		struct bpf_program *prog;
		struct bpf_map *map;
		int loaded = 0, programs = 0;

		first_message[0] = last_log_line[0] = 0;
		in_log = 0;
		obj = bpf_object__open_file(argv[i], NULL);
		if (!obj) {
			printf("refuses\topen: %s\t\n", first_message);
			continue;
		}
		bpf_object__for_each_map(map, obj)
			bpf_map__set_pin_path(map, NULL);
		if (bpf_object__load(obj)) {
			printf("refuses\t%s\t%s\n", first_message, last_log_line);
		} else {
			bpf_object__for_each_program(prog, obj) {
				programs++;
				loaded += bpf_program__fd(prog) >= 0;
			}
			printf("loads\t%d/%d\n", loaded, programs);
		}
		bpf_object__close(obj);
	}
	return 0;
}
