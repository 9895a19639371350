#include <linux/init.h>
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/timekeeping.h>

/*
 * Lab 5, exercise 1-3.
 * A kernel thread bound to CPU 0 allocates the smallest power of two number
 * of pages that fits objnum structs, frees them, and logs the time taken.
 */

MODULE_LICENSE("GPL");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);
MODULE_PARM_DESC(objnum, "number of objects");

struct lab_obj {
	unsigned int ints[8];
};

static struct task_struct *thr;

static int do_work(void *arg)
{
	unsigned int objs_per_page = PAGE_SIZE / sizeof(struct lab_obj);
	unsigned int pages = DIV_ROUND_UP(objnum, objs_per_page);
	unsigned int order = order_base_2(pages);
	struct page *page;
	u64 start, stop;

	pr_info("page_alloc: Allocating %u objects\n", objnum);
	pr_info("page_alloc: One object is %zu bytes, %u fit in a %lu byte page\n",
		sizeof(struct lab_obj), objs_per_page, PAGE_SIZE);

	start = ktime_get_raw_ns();
	page = alloc_pages(GFP_KERNEL, order);
	if (page)
		__free_pages(page, order);
	stop = ktime_get_raw_ns();

	if (!page)
		pr_err("page_alloc: alloc_pages failed\n");
	else
		pr_info("page_alloc: %u pages (order %u) took %llu ns\n",
			1U << order, order, stop - start);

	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init lab_init(void)
{
	thr = kthread_create(do_work, NULL, "lab_page_alloc");
	if (IS_ERR(thr))
		return PTR_ERR(thr);
	kthread_bind(thr, 0);
	wake_up_process(thr);
	return 0;
}

static void __exit lab_exit(void)
{
	kthread_stop(thr);
}

module_init(lab_init);
module_exit(lab_exit);
