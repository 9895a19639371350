// SPDX-License-Identifier: GPL-2.0
/*
 * page_alloc.c - Lab 5, Exercises 1-3 (reference solution, Linux 6.1).
 *
 * Starts one kernel thread bound to CPU 0. The thread logs objnum and the
 * size of struct item, then times one alloc_pages()/__free_pages() pair of
 * the smallest power-of-two number of pages that holds objnum structs, logs
 * the elapsed time and sleeps until module exit stops it.
 */
#define pr_fmt(fmt) "page_alloc: " fmt

#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct item {
	unsigned int data[8];
};

static struct task_struct *task;

/* Smallest order whose 2^order pages hold n structs (0 if one page does). */
static unsigned int pages_order(unsigned int n)
{
	unsigned long per_page = PAGE_SIZE / sizeof(struct item);
	unsigned long pages = DIV_ROUND_UP(n, per_page);

	return pages <= 1 ? 0 : ilog2(roundup_pow_of_two(pages));
}

static void wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

static int page_alloc_thread(void *data)
{
	unsigned int order = pages_order(objnum);
	struct page *pages;
	u64 start, end;

	pr_info("objnum = %u\n", objnum);
	pr_info("sizeof(struct item) = %zu bytes\n", sizeof(struct item));

	if (order >= MAX_ORDER) {
		pr_err("order %u exceeds the largest order %d\n",
		       order, MAX_ORDER - 1);
		goto out;
	}

	start = ktime_get_ns();
	pages = alloc_pages(GFP_KERNEL, order);
	if (pages)
		__free_pages(pages, order);
	end = ktime_get_ns();

	if (pages)
		pr_info("alloc_pages/__free_pages of order %u took %llu ns\n",
			order, end - start);
	else
		pr_err("alloc_pages of order %u failed\n", order);
out:
	wait_for_stop();
	return 0;
}

static int __init page_alloc_mod_init(void)
{
	task = kthread_create(page_alloc_thread, NULL, "page_alloc");
	if (IS_ERR(task))
		return PTR_ERR(task);
	kthread_bind(task, 0);
	wake_up_process(task);
	return 0;
}

static void __exit page_alloc_mod_exit(void)
{
	kthread_stop(task);
}

module_init(page_alloc_mod_init);
module_exit(page_alloc_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lab 5: time alloc_pages/__free_pages for objnum structs");
