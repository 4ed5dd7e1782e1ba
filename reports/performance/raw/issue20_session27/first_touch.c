#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec+t.tv_nsec*1e-9;}
static char*p; static size_t n;
static void* work(void*a){ size_t h=n/2; memset(p+(size_t)a*h,1,h); return 0;}
int main(int argc,char**argv){ n=(size_t)614<<20; int nt=atoi(argv[1]);
 double t0=now(); p=mmap(0,n,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
 madvise(p,n,MADV_HUGEPAGE);
 if(nt==2){pthread_t t[2]; for(long i=0;i<2;i++) pthread_create(&t[i],0,work,(void*)i); for(int i=0;i<2;i++) pthread_join(t[i],0);} else memset(p,1,n);
 double t1=now(); printf("threads=%d first touch %.3f s\n",nt,t1-t0); return p[12345]==7;}
