#include "CSwiftBusShims.h"
