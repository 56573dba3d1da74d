/** While the page loads. (Not above messages/[id]: a loading boundary there would stream its 404 as a 200.) */
export { PageSkeleton as default } from '@/components/page-skeleton';
