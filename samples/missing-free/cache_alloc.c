// Lab 5 - cache_alloc module
// Creates a slab cache and a kernel thread on CPU 0 which allocates objnum
// structs from the cache with kmem_cache_alloc()

#include <linux/module.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("student");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0);

struct lab_struct {
	unsigned int x[8];
};

static struct task_struct *alloc_task;
static struct kmem_cache *lab_cache;

static int alloc_fn(void *data)
{
	struct lab_struct *ptr;
	unsigned int i;
	u64 t1, t2;

	printk(KERN_INFO "Thread started, objnum: %u\n", objnum);
	printk(KERN_INFO "Struct size = %zu bytes\n", sizeof(struct lab_struct));

	t1 = ktime_get_ns();
	for (i = 0; i < objnum; i++) {
		ptr = kmem_cache_alloc(lab_cache, GFP_KERNEL);
		if (!ptr) {
			printk(KERN_ERR "kmem_cache_alloc failed\n");
			break;
		}
		kmem_cache_free(lab_cache, ptr);
	}
	t2 = ktime_get_ns();

	printk(KERN_INFO "Allocation took %llu ns\n", t2 - t1);

	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static int __init cache_mod_init(void)
{
	lab_cache = kmem_cache_create("lab5_cache", sizeof(struct lab_struct),
				      0, 0, NULL);
	if (!lab_cache) {
		printk(KERN_ERR "kmem_cache_create failed\n");
		return -ENOMEM;
	}

	alloc_task = kthread_create(alloc_fn, NULL, "cache_alloc");
	if (IS_ERR(alloc_task)) {
		printk(KERN_ERR "kthread_create failed\n");
		kmem_cache_destroy(lab_cache);
		return PTR_ERR(alloc_task);
	}
	kthread_bind(alloc_task, 0);
	wake_up_process(alloc_task);
	return 0;
}

static void __exit cache_mod_exit(void)
{
	kthread_stop(alloc_task);
	kmem_cache_destroy(lab_cache);
	printk(KERN_INFO "cache_alloc module removed\n");
}

module_init(cache_mod_init);
module_exit(cache_mod_exit);
