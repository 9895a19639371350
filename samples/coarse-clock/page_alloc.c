// SPDX-License-Identifier: GPL-2.0
/* Lab 5: page_alloc - measure alloc_pages/__free_pages from a pinned kthread */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/jiffies.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct elem {
	unsigned int n[8];
};

static struct task_struct *worker;

static int worker_fn(void *arg)
{
	unsigned int per_page = PAGE_SIZE / sizeof(struct elem);
	unsigned int npages = DIV_ROUND_UP(objnum, per_page);
	unsigned int order = order_base_2(npages);
	unsigned long start;
	struct page *pg;

	pr_info("page_alloc: objnum = %u\n", objnum);
	pr_info("page_alloc: struct is %zu bytes\n", sizeof(struct elem));

	start = jiffies;
	pg = alloc_pages(GFP_KERNEL, order);
	if (pg)
		__free_pages(pg, order);
	pr_info("page_alloc: order %u took %u us\n", order,
		jiffies_to_usecs(jiffies - start));

	if (!pg)
		pr_err("page_alloc: alloc_pages failed\n");

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		schedule();
	}
	return 0;
}

static int __init page_alloc_load(void)
{
	worker = kthread_create_on_cpu(worker_fn, NULL, 0, "page_alloc/%u");
	if (IS_ERR(worker))
		return PTR_ERR(worker);
	wake_up_process(worker);
	return 0;
}

static void __exit page_alloc_unload(void)
{
	kthread_stop(worker);
}

module_init(page_alloc_load);
module_exit(page_alloc_unload);
MODULE_LICENSE("GPL");
