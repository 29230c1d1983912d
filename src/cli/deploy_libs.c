/*
 * deploy_libs.c - which shared libraries a deployment needs (see
 * deploy_libs.h).
 *
 * The Dockerfile's package list is read from the binary itself (its
 * DT_NEEDED entries), so a library the Makefile starts linking shows up in
 * the image, or makes generate-dockerfile fail naming it, instead of an
 * image that does not start. The Lambda zip instead takes every object
 * the dynamic loader mapped into this process once the model is loaded
 * (dl_iterate_phdr): the binary's libraries, their dependencies, what the
 * model's flavor loaded (libxgboost, a c_function model's own needs) and
 * libcurl, which the runtime loads to reach the Runtime API.
 */
#include "deploy_libs.h"
#include "../base/xalloc.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

/* soname (or its prefix up to ".so") -> Debian 12 package; "" = part of
 * the C library or an essential package every Debian image has. */
static const struct {
	const char *soname;
	const char *package;
} debian_packages[] = {
	{ "libc.so.6", "" },
	{ "libm.so.6", "" },
	{ "libpthread.so.0", "" },
	{ "libdl.so.2", "" },
	{ "librt.so.1", "" },
	{ "libresolv.so.2", "" },
	{ "ld-linux-x86-64.so.2", "" },
	{ "ld-linux-aarch64.so.1", "" },
	{ "libgcc_s.so.1", "" },
	{ "libz.so.1", "" },
	{ "libmicrohttpd.so.12", "libmicrohttpd12" },
	{ "libjansson.so.4", "libjansson4" },
	{ "libsodium.so.23", "libsodium23" },
	{ "libsqlite3.so.0", "libsqlite3-0" },
	{ "libexpat.so.1", "libexpat1" },
	{ "libyaml-0.so.2", "libyaml-0-2" },
	{ "libfyaml.so.0", "libfyaml0" },
	{ "libcurl.so.4", "libcurl4" },
	{ "libcrypto.so.3", "libssl3" },
	{ "libssl.so.3", "libssl3" },
	{ "libxgboost.so.0", "libxgboost0" },
	{ "libgomp.so.1", "libgomp1" },
	{ "libstdc++.so.6", "libstdc++6" },
	{ "libasan.so.8", "libasan8" }, /* an ASan build (make SANITIZE=1) */
	{ "libubsan.so.1", "libubsan1" },
};

/* What the binary loads on demand (lazylink.c) for fetching a model by URI. */
static const char *const on_demand_packages[] = { "libcurl4", "ca-certificates" };

const char *deploy_debian_package(const char *soname)
{
	for (size_t i = 0; i < ARRAY_SIZE(debian_packages); i++)
		if (!strcmp(soname, debian_packages[i].soname))
			return debian_packages[i].package;
	return NULL;
}

static int elf_fail(const char *path, struct mlf_err *err)
{
	return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%.300s' is not a 64-bit little-endian ELF file", path);
}

static bool read_at(int fd, void *dst, size_t n, uint64_t off)
{
	ssize_t r = pread(fd, dst, n, (off_t)off);
	return r == (ssize_t)n;
}

/* The file offset of virtual address `va` through the PT_LOAD segments. */
static bool vaddr_offset(const Elf64_Phdr *ph, size_t n, uint64_t va, uint64_t *off)
{
	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr && va - ph[i].p_vaddr < ph[i].p_filesz) {
			*off = ph[i].p_offset + (va - ph[i].p_vaddr);
			return true;
		}
	return false;
}

/* DT_NEEDED names into names[max] (when names is not NULL) and DT_SONAME
 * into soname[soname_size] (when not NULL; "" without one). */
static int elf_dynamic(const char *path, char **names, size_t max, char *soname, size_t soname_size,
		       struct mlf_err *err)
{
	if (soname && soname_size)
		soname[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "cannot open '%.300s': %s", path, strerror(errno));
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	Elf64_Dyn *dyn = NULL;
	char *strtab = NULL;
	int count = -1;
	if (!read_at(fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum ||
	    eh.e_phnum > 512) {
		elf_fail(path, err);
		goto out;
	}
	ph = xcalloc(eh.e_phnum, sizeof(*ph));
	if (!read_at(fd, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff)) {
		elf_fail(path, err);
		goto out;
	}
	const Elf64_Phdr *dp = NULL;
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dp = &ph[i];
	if (!dp) { /* statically linked: needs nothing */
		count = 0;
		goto out;
	}
	size_t ndyn = dp->p_filesz / sizeof(Elf64_Dyn);
	if (!ndyn || ndyn > 4096) {
		elf_fail(path, err);
		goto out;
	}
	dyn = xcalloc(ndyn, sizeof(*dyn));
	if (!read_at(fd, dyn, ndyn * sizeof(*dyn), dp->p_offset)) {
		elf_fail(path, err);
		goto out;
	}
	uint64_t strtab_va = 0, strsz = 0;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB)
			strtab_va = dyn[i].d_un.d_ptr;
		else if (dyn[i].d_tag == DT_STRSZ)
			strsz = dyn[i].d_un.d_val;
	}
	uint64_t strtab_off;
	if (!strsz || strsz > (16u << 20) || !vaddr_offset(ph, eh.e_phnum, strtab_va, &strtab_off)) {
		elf_fail(path, err);
		goto out;
	}
	strtab = xmalloc(strsz + 1);
	if (!read_at(fd, strtab, strsz, strtab_off)) {
		elf_fail(path, err);
		goto out;
	}
	strtab[strsz] = '\0';
	count = 0;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_SONAME && soname && dyn[i].d_un.d_val < strsz)
			snprintf(soname, soname_size, "%s", strtab + dyn[i].d_un.d_val);
		if (dyn[i].d_tag != DT_NEEDED || !names)
			continue;
		if (dyn[i].d_un.d_val >= strsz || (size_t)count >= max) {
			for (int k = 0; k < count; k++)
				free(names[k]);
			count = -1;
			mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "'%.300s' has a bad or too long list of libraries",
				   path);
			goto out;
		}
		names[count++] = xstrdup(strtab + dyn[i].d_un.d_val);
	}
out:
	free(strtab);
	free(dyn);
	free(ph);
	close(fd);
	return count;
}

int deploy_elf_needed(const char *path, char **names, size_t max, struct mlf_err *err)
{
	return elf_dynamic(path, names, max, NULL, 0, err);
}

int deploy_elf_soname(const char *path, char *out, size_t size, struct mlf_err *err)
{
	return elf_dynamic(path, NULL, 0, out, size, err) < 0 ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool add_unique(const char **out, size_t *n, size_t max, const char *pkg)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(out[i], pkg))
			return true;
	if (*n >= max)
		return false;
	out[(*n)++] = pkg;
	return true;
}

int deploy_binary_packages(const char *path, const char **out, size_t max, struct mlf_err *err)
{
	char *needed[DEPLOY_LIBS_MAX];
	int nn = deploy_elf_needed(path, needed, ARRAY_SIZE(needed), err);
	if (nn < 0)
		return -1;
	size_t n = 0;
	int rc = 0;
	for (int i = 0; i < nn && rc == 0; i++) {
		const char *pkg = deploy_debian_package(needed[i]);
		if (!pkg)
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
					"the binary needs %s, and no Debian package is known for it "
					"(add it to deploy_libs.c's table)",
					needed[i]);
		else if (*pkg && !add_unique(out, &n, max, pkg))
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "too many packages");
	}
	for (size_t i = 0; i < ARRAY_SIZE(on_demand_packages) && rc == 0; i++)
		if (!add_unique(out, &n, max, on_demand_packages[i]))
			rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "too many packages");
	for (int i = 0; i < nn; i++)
		free(needed[i]);
	if (rc < 0)
		return -1;
	qsort(out, n, sizeof(out[0]), cmp_str);
	return (int)n;
}

struct loaded_walk {
	const char *skip_dir;
	size_t skip_len;
	struct deploy_lib *out;
	size_t max, n;
	bool overflow;
};

static int loaded_one(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct loaded_walk *w = data;
	const char *name = info->dlpi_name;
	if (!name || name[0] != '/') /* the main program ("") and the vDSO (no path) */
		return 0;
	if (w->skip_len && !strncmp(name, w->skip_dir, w->skip_len) && name[w->skip_len] == '/')
		return 0;
	if (w->n >= w->max) {
		w->overflow = true;
		return 1;
	}
	/* bundled under its soname, the name others look it up by (it may have
	 * been loaded through another, e.g. the development symlink) */
	char soname[256];
	struct mlf_err err;
	const char *base = strrchr(name, '/') + 1;
	if (deploy_elf_soname(name, soname, sizeof(soname), &err) == 0 && soname[0] && !strchr(soname, '/'))
		base = soname;
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->out[i].name, base))
			return 0;
	w->out[w->n].path = xstrdup(name);
	w->out[w->n].name = xstrdup(base);
	w->n++;
	return 0;
}

int deploy_loaded_libs(const char *skip_dir, struct deploy_lib *out, size_t max, struct mlf_err *err)
{
	struct loaded_walk w = { .skip_dir = skip_dir, .skip_len = skip_dir ? strlen(skip_dir) : 0, .out = out,
				 .max = max };
	while (w.skip_len > 1 && skip_dir[w.skip_len - 1] == '/')
		w.skip_len--;
	dl_iterate_phdr(loaded_one, &w);
	if (w.overflow) {
		for (size_t i = 0; i < w.n; i++)
			deploy_lib_release(&out[i]);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "more than %zu shared libraries are loaded", max);
	}
	return (int)w.n;
}

void deploy_lib_release(struct deploy_lib *lib)
{
	if (!lib)
		return;
	free(lib->path);
	free(lib->name);
	lib->path = lib->name = NULL;
}

struct interp_walk {
	char *out;
	size_t size;
	bool found;
};

static int interp_one(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct interp_walk *w = data;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_INTERP)
			continue;
		const char *path = (const char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		const char *base = strrchr(path, '/');
		snprintf(w->out, w->size, "%s", base ? base + 1 : path);
		w->found = true;
	}
	return 1; /* the first object is the main program */
}

int deploy_interpreter_name(char *out, size_t size, struct mlf_err *err)
{
	struct interp_walk w = { out, size, false };
	dl_iterate_phdr(interp_one, &w);
	if (!w.found)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "this program has no dynamic loader (static build)");
	return 0;
}
