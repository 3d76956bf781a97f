//! The bundled web pages of the deduplication lab (lesson 16): short documents written for this
//! course in the style of a crawl: recipes, a forum post, product pages, cookie banners, a page of
//! keywords, a page in German, boilerplate. Near-duplicates are planted at known similarities
//! (word 5-gram Jaccard, checked in `dedup`'s tests) and two pages are exact copies, so MinHash
//! and the quality rules have something real to find.

/// One page: a short key, what it is, and its text (lines as on the page).
pub struct Page {
    pub key: &'static str,
    pub title: &'static str,
    pub text: &'static str,
}

pub const PAGES: &[Page] = &[
    Page {
        key: "recipe",
        title: "Banana bread recipe",
        text: "Easy banana bread\n\
Mash three ripe bananas in a large bowl with a fork until smooth.\n\
Stir in a third of a cup of melted butter, then mix in one teaspoon of baking soda and a pinch of salt.\n\
Add three quarters of a cup of sugar, one beaten egg and one teaspoon of vanilla.\n\
Mix in one and a half cups of flour until no dry streaks remain.\n\
Pour the batter into a buttered loaf pan and bake at 175 degrees for about an hour.\n\
Let the loaf cool for ten minutes before slicing.",
    },
    Page {
        key: "recipe-copy",
        title: "The same recipe on another site",
        text: "Easy banana bread\n\
Mash three ripe bananas in a large bowl with a fork until smooth.\n\
Stir in a third of a cup of melted butter, then mix in one teaspoon of baking soda and a pinch of salt.\n\
Add three quarters of a cup of brown sugar, one beaten egg and one teaspoon of vanilla.\n\
Mix in one and a half cups of flour until no dry streaks remain.\n\
Pour the batter into a buttered loaf pan and bake at 175 degrees for about an hour.\n\
Let the loaf cool for ten minutes before slicing.\n\
Found this recipe useful? Share it with a friend.",
    },
    Page {
        key: "forum",
        title: "Forum question about a bike chain",
        text: "Chain keeps slipping on my commuter bike\n\
Hi all, my chain has started slipping whenever I push hard on the pedals, mostly on the smaller rear cogs.\n\
The bike is about four years old and I have never replaced the chain or the cassette.\n\
I cleaned and oiled everything last weekend but it made no difference.\n\
Is this a sign that the chain is worn out, or could the gears just need adjusting?\n\
Thanks for any advice, I ride to work every day.",
    },
    Page {
        key: "forum-repost",
        title: "The same post, submitted twice",
        text: "Chain keeps slipping on my commuter bike\n\
Hi all, my chain has started slipping whenever I push hard on the pedals, mostly on the smaller rear cogs.\n\
The bike is about four years old and I have never replaced the chain or the cassette.\n\
I cleaned and oiled everything last weekend but it made no difference.\n\
Is this a sign that the chain is worn out, or could the gears just need adjusting?\n\
Thanks for any advice, I ride to work every day.",
    },
    Page {
        key: "kettle",
        title: "Product page: a kettle",
        text: "Stainless steel electric kettle, 1.7 litres, silver\n\
Boils a full kettle in under four minutes and switches itself off when the water is ready.\n\
The base turns all the way round, so it suits left and right handed people alike.\n\
A removable filter keeps scale out of your tea, and the window on the side shows how much water is left.\n\
Price: 34.99. In stock, usually ships within two working days.\n\
Customers who bought this item also bought a glass teapot.",
    },
    Page {
        key: "kettle-red",
        title: "The same kettle in red",
        text: "Stainless steel electric kettle, 1.7 litres, red\n\
Boils a full kettle in under four minutes and switches itself off when the water is ready.\n\
The base turns all the way round, so it suits left and right handed people alike.\n\
A removable filter keeps scale out of your tea, and the window on the side shows how much water is left.\n\
Price: 36.99. In stock, usually ships within two working days.\n\
Customers who bought this item also bought a glass teapot.",
    },
    Page {
        key: "cookies",
        title: "Cookie banner",
        text: "We use cookies to improve your experience on our site.\n\
By clicking Accept all you agree to the storing of cookies on your device.\n\
Accept all\n\
Manage settings",
    },
    Page {
        key: "cookies-2",
        title: "Another site's cookie banner",
        text: "We use cookies to improve your experience on our website.\n\
By clicking Accept all you agree to the storing of cookies on your device.\n\
Accept all\n\
Reject all",
    },
    Page {
        key: "keywords",
        title: "A page of keywords",
        text: "cheap flights cheap hotels best deals\n\
cheap flights london cheap flights paris cheap flights rome\n\
best deals best deals best deals\n\
hotels hotels hotels near me\n\
book now book now\n\
cheap car hire cheap car hire airport",
    },
    Page {
        key: "german",
        title: "A page in German",
        text: "Der Stadtpark ist ab Montag wieder geöffnet\n\
Nach drei Monaten Bauzeit können Besucher den Park am Montag wieder betreten.\n\
Die Stadt hat neue Wege angelegt, zwanzig Bänke aufgestellt und den Spielplatz erneuert.\n\
Der Teich wurde gereinigt, und am Ufer wachsen jetzt wieder Schilf und Seerosen.\n\
Der Park ist täglich von sieben Uhr morgens bis zehn Uhr abends geöffnet.\n\
Hunde müssen an der Leine geführt werden.",
    },
    Page {
        key: "news",
        title: "News: the library reopens",
        text: "Town library reopens after flood repairs\n\
The public library on Mill Street opened its doors again on Saturday, eight months after a burst pipe flooded the ground floor.\n\
Volunteers helped staff move more than twenty thousand books back onto new shelves during the last two weeks.\n\
The children's corner has been rebuilt with a reading tent and a small stage for story time.\n\
The head librarian said the building now has better drainage and a new heating system.\n\
Opening hours are unchanged, and overdue fines from the closure have been cancelled.",
    },
    Page {
        key: "news-syndicated",
        title: "The same story, reposted with a new headline",
        text: "Flooded library welcomes readers back\n\
The public library on Mill Street opened its doors again on Saturday, eight months after a burst pipe flooded the ground floor.\n\
Volunteers helped staff move more than twenty thousand books back onto new shelves during the last two weeks.\n\
The head librarian said the building now has better drainage and a new heating system.\n\
Opening hours are unchanged.\n\
This story first appeared in the Valley Gazette.",
    },
    Page {
        key: "lorem",
        title: "A template never filled in",
        text: "Welcome to our new website\n\
Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\n\
Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.\n\
Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.\n\
Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.\n\
Contact us for more information.",
    },
    Page {
        key: "javascript",
        title: "A page that needs JavaScript",
        text: "This page requires JavaScript to work properly.\n\
Please enable JavaScript in your browser settings and reload the page.\n\
If you are using an old browser, you may need to update it to a newer version before you can see the content of this site.\n\
We are sorry for the inconvenience and thank you for your patience.\n\
Return to the home page.",
    },
    Page {
        key: "water",
        title: "Encyclopedia-style: the water cycle",
        text: "The water cycle\n\
Water moves between the oceans, the air and the land in a continuous cycle.\n\
Heat from the sun evaporates water from the surface of seas and lakes, and plants release water vapour from their leaves.\n\
As the moist air rises it cools, and the vapour condenses into tiny droplets that form clouds.\n\
When the droplets grow heavy enough they fall as rain or snow.\n\
Some of that water runs off into rivers, some soaks into the ground, and in time most of it returns to the sea.",
    },
    Page {
        key: "water-essay",
        title: "A student's rewrite of the water cycle page",
        text: "The water cycle\n\
Water is always moving between the oceans, the air and the land in a cycle that never stops.\n\
The sun heats the seas and lakes, and water evaporates from their surface, while plants give off water vapour through their leaves.\n\
The moist air rises and cools, and the vapour condenses into tiny droplets that form clouds.\n\
When the droplets are heavy enough they fall as rain or snow.\n\
Some of the water flows into rivers, some soaks into the ground, and most of it returns to the sea in the end.",
    },
    Page {
        key: "hashtags",
        title: "A social post made of tags",
        text: "Summer sale starts now!!! #sale #summer #deals #shopping #discount #fashion #style #ootd #new #trending\n\
Use code SUMMER20 ... #save #bargain #instafashion #shoponline #musthave #love #happy #weekend #fun #follow\n\
Link in bio ... #linkinbio #shopnow #limited #today #hurry #offer #freeshipping #gift #treat #yourself",
    },
    Page {
        key: "subscribe",
        title: "A page of repeated lines",
        text: "Subscribe to our newsletter\n\
Get the latest news delivered to your inbox.\n\
Subscribe to our newsletter\n\
Get the latest news delivered to your inbox.\n\
Subscribe to our newsletter\n\
Get the latest news delivered to your inbox.\n\
Subscribe to our newsletter\n\
Get the latest news delivered to your inbox.\n\
Subscribe to our newsletter\n\
Get the latest news delivered to your inbox.\n\
Follow us on social media for daily updates and special offers.",
    },
    Page {
        key: "travel",
        title: "Travel blog: a day in Lisbon",
        text: "A slow day in Lisbon\n\
We started the morning with coffee and a custard tart at a small bakery near the river.\n\
From there we took the old yellow tram up the hill, which was crowded but worth every minute.\n\
At the top we wandered through narrow streets, stopping at a viewpoint to look over the red roofs and the water.\n\
In the evening we ate grilled sardines at a family restaurant and listened to a singer in the square.\n\
Our feet hurt, but it was the best day of the trip.",
    },
    Page {
        key: "travel-scraped",
        title: "The Lisbon post scraped onto a spam blog",
        text: "A slow day in Lisbon\n\
We started the morning with coffee and a custard tart at a small bakery near the river.\n\
From there we took the old yellow tram up the hill, which was crowded but worth every minute.\n\
At the top we wandered through narrow streets, stopping at a viewpoint to look over the red roofs and the water.\n\
In the evening we ate grilled fish at a family restaurant and listened to a singer in the square.\n\
Our feet hurt, but it was the best day of the trip.\n\
Click here for cheap flights to Lisbon.",
    },
    Page {
        key: "links",
        title: "A page of tracking links",
        text: "Sponsored links\n\
https://shop.example.com/deals/summer-collection?utm_source=feed&utm_medium=referral&utm_campaign=sale\n\
https://shop.example.com/deals/winter-collection?utm_source=feed&utm_medium=referral&utm_campaign=sale\n\
https://shop.example.com/account/login?redirect=%2Fcheckout%2Fbasket%3Fstep%3Dpayment\n\
https://cdn.example.net/static/banner_728x90_final_v3.png",
    },
    Page {
        key: "tyre",
        title: "How-to: changing a flat tyre",
        text: "How to change a flat tyre\n\
Park on flat ground away from traffic, switch on the hazard lights and put the handbrake on.\n\
Loosen the wheel nuts about half a turn while the tyre is still on the ground.\n\
Raise the car with the jack at the point shown in the handbook until the flat tyre is clear of the road.\n\
Remove the nuts and the wheel, fit the spare and tighten the nuts by hand.\n\
Lower the car, then tighten the nuts fully in a star pattern and check the spare's pressure soon.",
    },
    Page {
        key: "returns",
        title: "A shop's returns policy",
        text: "Returns and refunds\n\
You can return most items within thirty days of delivery for a full refund.\n\
Items must be unused and in their original packaging, with the receipt or order number.\n\
To start a return, sign in to your account, choose the order and follow the steps to print a free label.\n\
Refunds are paid to the original payment method within five working days of the item reaching us.\n\
Sale items can be exchanged but not refunded.",
    },
    Page {
        key: "returns-copy",
        title: "Another shop that copied the policy",
        text: "Returns and refunds\n\
You can return most items within thirty days of delivery for a full refund.\n\
Items must be unused and in their original packaging, with the receipt or order number.\n\
To start a return, sign in to your account, choose the order and follow the steps to print a free label.\n\
Refunds are paid to the original payment method within five working days of the item reaching us.\n\
Sale items can be exchanged but not refunded.",
    },
];
