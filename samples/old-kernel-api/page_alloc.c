/*
 * page_alloc.c - Lab 5 (tested on Raspberry Pi, kernel 5.4)
 * Kernel thread bound to core 0, allocates pages for objnum structs.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/time.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>

MODULE_LICENSE("GPL");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0644);

struct my_struct {
	unsigned int data[8];
};

static struct task_struct *kthread;

static int thread_fn(void *data)
{
	struct timespec start, end;
	long long elapsed_ns;
	unsigned int per_page, pages, order;
	struct page *pg;

	printk(KERN_INFO "page_alloc: objnum: %u\n", objnum);
	printk(KERN_INFO "page_alloc: size of struct: %zu bytes\n", sizeof(struct my_struct));

	per_page = PAGE_SIZE / sizeof(struct my_struct);
	pages = (objnum + per_page - 1) / per_page;
	order = (pages <= 1) ? 0 : ilog2(roundup_pow_of_two(pages));

	getnstimeofday(&start);
	pg = alloc_pages(GFP_KERNEL, order);
	if (pg)
		__free_pages(pg, order);
	getnstimeofday(&end);

	elapsed_ns = (end.tv_sec - start.tv_sec) * NSEC_PER_SEC +
		     (end.tv_nsec - start.tv_nsec);
	if (!pg)
		printk(KERN_ERR "page_alloc: alloc_pages failed\n");
	printk(KERN_INFO "page_alloc: allocation took %lld ns\n", elapsed_ns);

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init pa_init(void)
{
	kthread = kthread_create(thread_fn, NULL, "page_alloc");
	if (IS_ERR(kthread)) {
		printk(KERN_ERR "page_alloc: cannot create thread\n");
		return PTR_ERR(kthread);
	}
	kthread_bind(kthread, 0);
	wake_up_process(kthread);
	return 0;
}

static void __exit pa_exit(void)
{
	kthread_stop(kthread);
	printk(KERN_INFO "page_alloc: exit\n");
}

module_init(pa_init);
module_exit(pa_exit);
