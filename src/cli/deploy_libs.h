/*
 * deploy_libs.h - the shared libraries a deployment carries along: the
 * direct ELF dependencies of the mlflowc binary mapped to the Debian 12
 * packages that provide them (for the Dockerfile), and every shared object
 * loaded into the running process (for the Lambda zip, which bundles them).
 */
#ifndef MLF_DEPLOY_LIBS_H
#define MLF_DEPLOY_LIBS_H

#include "../base/err.h"

#define DEPLOY_LIBS_MAX 256

/* The DT_NEEDED names of the ELF file at `path` (64-bit little-endian, as
 * the binaries built here), in file order, written into names[max] as
 * malloc'd strings the caller frees. Returns how many, or -1 with
 * INVALID_PARAMETER_VALUE for a file that is not such an ELF file. */
int deploy_elf_needed(const char *path, char **names, size_t max, struct mlf_err *err);

/* The DT_SONAME of the ELF file at `path` into out[size] ("" when it has
 * none). 0, or -1 as deploy_elf_needed. */
int deploy_elf_soname(const char *path, char *out, size_t size, struct mlf_err *err);

/* The Debian 12 package providing the library named `soname`: a static
 * string; "" for the C library's own objects (in every Debian image);
 * NULL when the table does not know it. */
const char *deploy_debian_package(const char *soname);

/* The runtime packages of the binary at `path`: each DT_NEEDED mapped
 * with deploy_debian_package(), plus what it loads on demand (libcurl4 and
 * ca-certificates: fetching a model by URI), sorted, without duplicates.
 * Static strings written into out[max]. Returns how many, or -1 with
 * INVALID_PARAMETER_VALUE naming a library no row maps. */
int deploy_binary_packages(const char *path, const char **out, size_t max, struct mlf_err *err);

/* A shared object loaded into this process. */
struct deploy_lib {
	char *path;  /* where it was loaded from; owned */
	char *name;  /* the name to bundle it under: its DT_SONAME, else the loaded name's last part; owned */
};

/* Every shared object loaded into this process now (dl_iterate_phdr),
 * the dynamic loader included, the vDSO and the main program left out, and
 * objects beneath `skip_dir` (the model's own) left out, one per name. Written into
 * out[max]; returns how many, or -1 with INTERNAL_ERROR when there are
 * more than max. Release each with deploy_lib_release(). */
int deploy_loaded_libs(const char *skip_dir, struct deploy_lib *out, size_t max, struct mlf_err *err);
void deploy_lib_release(struct deploy_lib *lib);

/* The file name of this program's ELF interpreter (PT_INTERP's last part,
 * "ld-linux-x86-64.so.2"), written into out[size]. 0, or -1 with
 * INTERNAL_ERROR for a static program. */
int deploy_interpreter_name(char *out, size_t size, struct mlf_err *err);

#endif
