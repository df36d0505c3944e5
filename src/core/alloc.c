#include <stdlib.h>

#include "core/internal.h"

void *gdi_alloc(const gd_allocator *allocator, size_t size)
{
    if (size == 0) {
        size = 1; /* a distinct, freeable pointer for empty workspaces */
    }
    if (allocator != NULL && allocator->alloc != NULL) {
        return allocator->alloc(size, allocator->opaque);
    }
    return malloc(size);
}

int gdi_allocator_ok(const gd_allocator *allocator)
{
    return allocator == NULL || ((allocator->alloc == NULL) == (allocator->free == NULL));
}

void gdi_free(const gd_allocator *allocator, void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    if (allocator != NULL && allocator->free != NULL) {
        allocator->free(ptr, allocator->opaque);
        return;
    }
    free(ptr);
}
