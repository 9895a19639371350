/*
 * kmem_alloc.c - Lab 5 (tested on Raspberry Pi, kernel 5.4)
 * Kernel thread bound to core 0, kmalloc/kfree objnum structs.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/time.h>
#include <linux/slab.h>

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
	struct my_struct *ptr;
	unsigned int i;

	printk(KERN_INFO "kmem_alloc: objnum: %u\n", objnum);
	printk(KERN_INFO "kmem_alloc: size of struct: %zu bytes\n", sizeof(struct my_struct));

	getnstimeofday(&start);
	for (i = 0; i < objnum; i++) {
		ptr = kmalloc(sizeof(struct my_struct), GFP_KERNEL);
		if (!ptr) {
			printk(KERN_ERR "kmem_alloc: kmalloc failed\n");
			break;
		}
		kfree(ptr);
	}
	getnstimeofday(&end);

	elapsed_ns = (end.tv_sec - start.tv_sec) * NSEC_PER_SEC +
		     (end.tv_nsec - start.tv_nsec);
	printk(KERN_INFO "kmem_alloc: allocation took %lld ns\n", elapsed_ns);

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init km_init(void)
{
	kthread = kthread_create(thread_fn, NULL, "kmem_alloc");
	if (IS_ERR(kthread)) {
		printk(KERN_ERR "kmem_alloc: cannot create thread\n");
		return PTR_ERR(kthread);
	}
	kthread_bind(kthread, 0);
	wake_up_process(kthread);
	return 0;
}

static void __exit km_exit(void)
{
	kthread_stop(kthread);
	printk(KERN_INFO "kmem_alloc: exit\n");
}

module_init(km_init);
module_exit(km_exit);
