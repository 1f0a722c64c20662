using System.IO.MemoryMappedFiles;

namespace FixFixtures.PIN4003
{
    static unsafe class Reader
    {
        public static int Read(MemoryMappedFile file, long offset)
        {
            using var view = file.CreateViewAccessor(offset, 4096);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            try { return *p; }
            finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
        }
    }
}
