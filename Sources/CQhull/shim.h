#include <libqhull_r/qhull_ra.h>
