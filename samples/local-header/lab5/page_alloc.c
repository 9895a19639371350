/* Exercise 1-3: one alloc_pages of the order objnum structs need. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "page_alloc.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lab 5 page allocation, declarations in a header");

static unsigned int objnum = LAB5_DEFAULT_OBJNUM;
module_param(objnum, uint, 0444);

static struct task_struct *pa_task;

static unsigned int pa_order_for(unsigned int objects)
{
	unsigned long pages = DIV_ROUND_UP((unsigned long)objects * sizeof(struct lab5_obj), PAGE_SIZE);
	unsigned int order = 0;

	while ((1UL << order) < pages)
		order++;
	return order;
}

static int pa_thread(void *arg)
{
	unsigned int order = pa_order_for(objnum);
	struct page *pages;
	ktime_t start;

	pr_info(PA_NAME ": objnum=%u\n", objnum);
	pr_info(PA_NAME ": sizeof(struct lab5_obj)=%zu\n", sizeof(struct lab5_obj));
	start = ktime_get();
	pages = alloc_pages(GFP_KERNEL, order);
	if (pages)
		__free_pages(pages, order);
	pr_info(PA_NAME ": order %u took %lld ns\n", order, lab5_elapsed_ns(start));

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static int __init pa_init(void)
{
	pa_task = kthread_create(pa_thread, NULL, PA_NAME);
	if (IS_ERR(pa_task))
		return PTR_ERR(pa_task);
	kthread_bind(pa_task, LAB5_CPU);
	wake_up_process(pa_task);
	return 0;
}

static void __exit pa_exit(void)
{
	kthread_stop(pa_task);
}

module_init(pa_init);
module_exit(pa_exit);
