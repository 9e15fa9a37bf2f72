// SPDX-License-Identifier: GPL-2.0
/*
 * vmem_stats.c - accounting of everything vmem allocates.
 *
 * Two module-wide counters, pages and slab objects, go up on every
 * allocation made through the helpers below and down on every free.  They
 * are shown in debugfs (vmem/pages, vmem/objects) and checked at module
 * exit: the test machines boot with panic_on_warn, so a leak fails a run
 * instead of going unnoticed.
 */
#define pr_fmt(fmt) "vmem: " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "vmem_core.h"

static atomic_long_t vmem_nr_pages = ATOMIC_LONG_INIT(0);	/* [a] */
static atomic_long_t vmem_nr_objects = ATOMIC_LONG_INIT(0);	/* [a] */

/* debugfs directory; created at init, removed at exit.  [I] */
static struct dentry *vmem_debugfs_dir;

struct page *vmem_alloc_page_node(int nid, gfp_t gfp)
{
	struct page *page;

	page = alloc_pages_node(nid, gfp, 0);
	if (page)
		atomic_long_inc(&vmem_nr_pages);
	return page;
}

void vmem_free_page(struct page *page)
{
	if (!page)
		return;
	atomic_long_dec(&vmem_nr_pages);
	__free_page(page);
}

/*
 * Physically contiguous blocks of 2^@order pages, for hardware structures
 * larger than a page (SVM's 8 KiB MSR and 12 KiB I/O permission maps).
 * Counted in pages like the single-page helpers.
 */
struct page *vmem_alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	struct page *page;

	page = alloc_pages_node(nid, gfp, order);
	if (page)
		atomic_long_add(1L << order, &vmem_nr_pages);
	return page;
}

void vmem_free_pages(struct page *page, unsigned int order)
{
	if (!page)
		return;
	atomic_long_sub(1L << order, &vmem_nr_pages);
	__free_pages(page, order);
}

void *vmem_kzalloc(size_t size, gfp_t gfp)
{
	void *obj;

	obj = kzalloc(size, gfp);
	if (obj)
		atomic_long_inc(&vmem_nr_objects);
	return obj;
}

void vmem_kfree(const void *obj)
{
	if (!obj)
		return;
	atomic_long_dec(&vmem_nr_objects);
	kfree(obj);
}

/* The vmem debugfs directory, for other files of the module. */
struct dentry *vmem_debugfs_root(void)
{
	return vmem_debugfs_dir;
}

long vmem_stats_pages(void)
{
	return atomic_long_read(&vmem_nr_pages);
}

long vmem_stats_objects(void)
{
	return atomic_long_read(&vmem_nr_objects);
}

static int vmem_pages_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%ld\n", vmem_stats_pages());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmem_pages);

static int vmem_objects_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%ld\n", vmem_stats_objects());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmem_objects);

/*
 * debugfs failures are not fatal (debugfs may be compiled out or not
 * mounted); the functions accept error pointers from each other.
 */
void vmem_stats_init(void)
{
	vmem_debugfs_dir = debugfs_create_dir("vmem", NULL);
	debugfs_create_file("pages", 0444, vmem_debugfs_dir, NULL,
			    &vmem_pages_fops);
	debugfs_create_file("objects", 0444, vmem_debugfs_dir, NULL,
			    &vmem_objects_fops);
}

/*
 * Called last at module exit, after every other teardown, so any count
 * left is a real leak.
 */
void vmem_stats_exit(void)
{
	long pages = vmem_stats_pages();
	long objects = vmem_stats_objects();

	debugfs_remove_recursive(vmem_debugfs_dir);
	vmem_debugfs_dir = NULL;

	if (pages || objects) {
		pr_err("leaked %ld pages, %ld objects\n", pages, objects);
		WARN_ON(1);
	}
}
