/*
 * CSE lab 5 - page_alloc.c
 * Module with one kernel thread (bound to cpu 0) that times alloc_pages()
 * and __free_pages() for objnum objects.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/ktime.h>

#define THREAD_CPU 0

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct my_data {
	unsigned int buf[8];
};

static struct task_struct *page_thread;

static int page_thread_fn(void *data)
{
	unsigned int n_pages, order;
	struct page *start_page;
	ktime_t before, after;

	printk(KERN_INFO "page_alloc: objnum: %u\n", objnum);
	printk(KERN_INFO "page_alloc: sizeof struct = %zu\n", sizeof(struct my_data));

	n_pages = DIV_ROUND_UP(objnum * sizeof(struct my_data), PAGE_SIZE);
	order = n_pages > 1 ? order_base_2(n_pages) : 0;

	before = ktime_get();
	start_page = alloc_pages(GFP_KERNEL, order);
	if (start_page)
		__free_pages(start_page, order);
	after = ktime_get();

	if (!start_page)
		printk(KERN_ERR "page_alloc: failed to get 2^%u pages\n", order);
	printk(KERN_INFO "page_alloc: time: %lld ns\n", ktime_to_ns(after) - ktime_to_ns(before));

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init page_module_init(void)
{
	page_thread = kthread_create(page_thread_fn, NULL, "page_thread");
	if (IS_ERR(page_thread))
		return PTR_ERR(page_thread);
	kthread_bind(page_thread, THREAD_CPU);
	wake_up_process(page_thread);
	return 0;
}

static void __exit page_module_exit(void)
{
	kthread_stop(page_thread);
}

module_init(page_module_init);
module_exit(page_module_exit);
MODULE_LICENSE("GPL");
