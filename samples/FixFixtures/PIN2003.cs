using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FixFixtures.PIN2003
{
    sealed class Counter
    {
        public long Value;
    }

    unsafe static class Native
    {
        public static int Element(byte[] data, int i)
        {
            var p = (byte*)Unsafe.AsPointer(ref data[i]);
            var q = p + 1;
            return *p + *q;
        }

        public static void ArrayData(int[] values)
        {
            var p = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(values));
            new Span<int>(p, values.Length).Clear();
        }

        public static void Field(Counter counter)
        {
            var p = (long*)Unsafe.AsPointer(ref counter.Value);
            *p += 1;
        }

        public static byte Converted(int[] values, int i)
        {
            var p = (byte*)Unsafe.AsPointer(ref values[i]);
            p++;
            return *p;
        }
    }
}
